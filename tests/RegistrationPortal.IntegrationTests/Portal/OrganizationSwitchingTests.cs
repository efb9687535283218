using Microsoft.EntityFrameworkCore;
using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>A platform admin picks the organization the portal acts on; an org admin never can.</summary>
public sealed class OrganizationSwitchingTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    private static Dictionary<string, string> Switch(string orgId, string returnUrl = "/applications") =>
        new() { ["orgId"] = orgId, ["returnUrl"] = returnUrl };

    private async Task<(string Id, string Name, string AppId)> OrganizationWithApplicationAsync(string tag)
    {
        var name = $"{tag} {Guid.NewGuid():N}";
        var id = await Host.CreateOrganizationAsync(name);
        return (id, name, await Host.CreateApplicationAsync(id));
    }

    [Fact]
    public async Task A_platform_admin_switches_organization_and_every_page_and_reload_stays_in_it()
    {
        var a = await OrganizationWithApplicationAsync("Alpha");
        var b = await OrganizationWithApplicationAsync("Beta");
        var admin = await fixture.CreateAdminAsync(null, "platform");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        using (var switched = await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch(a.Id)))
        {
            Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
            Assert.Equal("/applications", switched.Headers.Location!.OriginalString);
        }

        var applications = await browser.OpenAsync("/applications");
        Assert.Contains(a.AppId, applications.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(b.AppId, applications.Body, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Organization: {a.Name}\"", applications.Body, StringComparison.Ordinal);
        foreach (var page in new[] { "/audit", "/users", "/applications" })
        {
            Assert.Contains($"aria-label=\"Organization: {a.Name}\"", (await browser.OpenAsync(page)).Body, StringComparison.Ordinal);
        }

        using (await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch(b.Id)))
        {
        }

        applications = await browser.OpenAsync("/applications");
        Assert.Contains(b.AppId, applications.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(a.AppId, applications.Body, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Organization: {b.Name}\"", applications.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_platform_admin_without_an_organization_is_asked_to_pick_one()
    {
        var admin = await fixture.CreateAdminAsync(null, "platform");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        var home = await browser.OpenAsync("/");
        Assert.Equal("/organizations", home.FinalPath);
        Assert.Contains("aria-label=\"No organization selected\"", home.Body, StringComparison.Ordinal);

        var applications = await browser.OpenAsync("/applications");
        Assert.Contains("Choose an organization to work in first", applications.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switching_needs_the_antiforgery_token_a_known_organization_and_a_local_return_address()
    {
        var a = await OrganizationWithApplicationAsync("Gamma");
        var admin = await fixture.CreateAdminAsync(null, "platform");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        using (var forged = await browser.Client.PostAsync(OrganizationSelectionApi.Path, new FormUrlEncodedContent(Switch(a.Id))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        Assert.Null(browser.Cookie(OrganizationSelection.CookieName));

        using (var unknown = await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch("or-zzzzz-zzzzz-zzzzzzzzzzzzzzzz")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        Assert.Null(browser.Cookie(OrganizationSelection.CookieName));

        foreach (var elsewhere in new[] { "//evil.example/", "https://evil.example/", "/\\evil.example" })
        {
            using var response = await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch(a.Id, elsewhere));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/", response.Headers.Location!.OriginalString);
        }

        Assert.Equal(a.Id, browser.Cookie(OrganizationSelection.CookieName));
    }

    [Fact]
    public async Task An_org_admin_cannot_switch_and_a_forged_selection_cookie_leaves_them_in_their_own_organization()
    {
        var mine = await OrganizationWithApplicationAsync("Mine");
        var theirs = await OrganizationWithApplicationAsync("Theirs");
        var admin = await fixture.CreateAdminAsync(mine.Id);
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        using (var refused = await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch(theirs.Id)))
        {
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.Equal("/Account/AccessDenied", PortalBrowser.RedirectPath(refused));
        }

        Assert.Null(browser.Cookie(OrganizationSelection.CookieName));
        var denied = await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.Action == AuditActions.AccessDenied && e.SubjectId == theirs.Id).ToListAsync());
        Assert.Equal(mine.Id, Assert.Single(denied).OrgId);
        Assert.Equal(admin.Id, denied[0].ActorId);
        browser.Cookies.Add(new Cookie(OrganizationSelection.CookieName, theirs.Id, "/", "localhost"));

        var applications = await browser.OpenAsync("/applications");
        Assert.Contains(mine.AppId, applications.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.AppId, applications.Body, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Organization: {mine.Name}\"", applications.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_forgets_the_selected_organization()
    {
        var a = await OrganizationWithApplicationAsync("Delta");
        var admin = await fixture.CreateAdminAsync(null, "platform");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);
        using (await browser.PostFormAsync(OrganizationSelectionApi.Path, Switch(a.Id)))
        {
        }

        Assert.Equal(a.Id, browser.Cookie(OrganizationSelection.CookieName));

        using var signedOut = await browser.PostFormAsync("/Account/Logout", new Dictionary<string, string> { ["returnUrl"] = "/" });

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Null(browser.Cookie(OrganizationSelection.CookieName));
    }
}
