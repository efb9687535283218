using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// Text with a NUL in it, which PostgreSQL refuses in any text it is given (SQLite takes it), typed or pasted into the
/// portal's search fields, posted in its sign-in forms (as multipart, which the form reader does not screen) or carried
/// by a reset link: every page answers as it does for any other text that matches nothing, on both databases.
/// </summary>
public abstract class TextWithNulTests(AdminPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task A_search_with_a_nul_pasted_in_finds_what_it_shows()
    {
        var orgId = await Host.CreateOrganizationAsync($"Nul Search {Guid.NewGuid():N}");
        var admin = await fixture.CreateAdminAsync(orgId, "nul-search");
        var scope = await fixture.ScopeOfAsync(admin);
        var email = PortalFactory.NewEmail("nul-person");
        await Host.InviteAsync(orgId, email);

        var users = await Host.Services.GetRequiredService<OrgUserAdminService>().SearchAsync(scope, new UserSearch(Text: email[..8] + "\0\t"));
        Assert.Equal([email], users.Items.Select(u => u.Email));

        var trail = await Host.Services.GetRequiredService<AuditLogService>().SearchAsync(scope, new AuditSearch(Actor: "\0" + admin.Email));
        Assert.Equal(0, trail.TotalItems);

        var platform = PlatformScope.For(await fixture.PrincipalOfAsync(await fixture.CreateAdminAsync(null, "nul-platform")))!;
        var name = await Host.WithDbAsync(db => db.Organizations.Where(o => o.Id == orgId).Select(o => o.Name).SingleAsync());
        var orgs = await Host.Services.GetRequiredService<OrganizationAdminService>().SearchAsync(platform, new OrganizationSearch(Text: name + "\0"));
        Assert.Equal([orgId], orgs.Items.Select(o => o.Id));
    }

    [Fact]
    public async Task The_sign_in_and_forgotten_password_forms_posted_with_a_nul_answer_as_for_an_unknown_address()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "nul-forms");
        using var browser = new PortalBrowser(Host);

        using var signIn = await browser.SubmitPageAsync(PortalBrowser.LoginPath, multipart: true, typed: new Dictionary<string, string>
        {
            ["Input.Email"] = admin.Email + "\0",
            ["Input.Password"] = admin.Password,
        });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("Error: Invalid sign-in attempt.", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var forgot = await browser.SubmitPageAsync("/Account/ForgotPassword", new Dictionary<string, string> { ["Input.Email"] = "\0" + admin.Email }, multipart: true);
        Assert.Equal("/Account/ForgotPasswordConfirmation", PortalBrowser.RedirectPath(forgot));
    }

    [Fact]
    public async Task A_reset_link_whose_address_carries_a_nul_is_answered_as_a_link_used_up()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "nul-reset");
        using var browser = new PortalBrowser(Host);
        var link = $"/Account/ResetPassword?code=AAAA&email={Uri.EscapeDataString(admin.Email)}%00";
        var page = await browser.OpenAsync(link);
        Assert.Equal(HttpStatusCode.OK, page.Status);

        var fields = PortalBrowser.HiddenFields(page.Body);
        fields["Input.Email"] = admin.Email;
        fields["Input.Password"] = "a new long enough password";
        fields["Input.ConfirmPassword"] = "a new long enough password";
        using var reset = await browser.Client.PostAsync(link, new FormUrlEncodedContent(fields));
        Assert.Equal("/Account/InvalidPasswordReset", PortalBrowser.RedirectPath(reset));
    }

    [Fact]
    public async Task An_org_admins_organization_switch_with_a_nul_is_denied_and_audited_without_it()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId, "nul-switch");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);
        var page = await browser.OpenAsync("/users");

        using var content = new MultipartFormDataContent
        {
            { new StringContent(PortalBrowser.AntiforgeryToken(page.Body)), "__RequestVerificationToken" },
            { new StringContent("or-\0x"), "orgId" },
        };
        using var switched = await browser.Client.PostAsync("/portal/organization", content);
        Assert.Equal("/Account/AccessDenied", PortalBrowser.RedirectPath(switched));
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == orgId && e.Action == AuditActions.AccessDenied && e.ActorId == admin.Id && e.SubjectId == null)));
    }
}

public sealed class TextWithNulTestsOnSqlite(AdminPortalFixture fixture) : TextWithNulTests(fixture), IClassFixture<AdminPortalFixture>;

public sealed class TextWithNulTestsOnPostgres(PostgresAdminPortalFixture fixture) : TextWithNulTests(fixture), IClassFixture<PostgresAdminPortalFixture>;
