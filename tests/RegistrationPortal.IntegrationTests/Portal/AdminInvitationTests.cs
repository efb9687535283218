using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// A new organization's first admin, made by a platform admin with no password, is invited by email through the outbox
/// to the real SMTP server; the link lets them choose a password, works once, and the password signs them in.
/// </summary>
public sealed partial class AdminInvitationTests(MailPortalFixture fixture) : IClassFixture<MailPortalFixture>
{
    private const string ChosenPassword = "the invited admin's own passphrase";

    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task The_first_admin_of_a_new_organization_is_emailed_an_invitation_whose_link_sets_a_password_once_and_signs_in()
    {
        var platform = await PlatformScopeAsync();
        var name = $"Invited Widgets {Guid.NewGuid():N}";
        var email = PortalFactory.NewEmail("invited");

        var outcome = await Host.Services.GetRequiredService<OrganizationAdminService>()
            .CreateAsync(platform, new NewOrganization(name, email, AdminPassword: null), "192.0.2.20");

        Assert.Equal(CreateOrganizationStatus.Created, outcome.Status);
        var mail = Assert.Single(await fixture.Smtp.WaitForMessagesAsync(email));
        Assert.StartsWith("outbox-", mail.Message.MessageId, StringComparison.Ordinal);
        Assert.Equal($"You are an admin of {name}", mail.Message.Subject);
        Assert.Contains(name, mail.Message.TextBody, StringComparison.Ordinal);
        var link = ResetLink().Match(mail.Message.TextBody ?? "");
        Assert.True(link.Success, mail.Message.TextBody);
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == outcome.OrgId && e.Action == AuditActions.AdminInvited && e.SubjectId == outcome.AdminId && e.ActorId == platform.AdminId)));

        // No password yet: nothing signs in.
        using var browser = new PortalBrowser(Host);
        using (var before = await browser.SubmitSignInAsync(email, ChosenPassword))
        {
            Assert.NotEqual(HttpStatusCode.Redirect, before.StatusCode);
        }

        var path = new Uri(link.Value).PathAndQuery;
        Assert.Equal("/Account/ResetPasswordConfirmation", await ChoosePasswordAsync(browser, path, email, ChosenPassword));
        await browser.SignInAsync(email, ChosenPassword);
        var page = await browser.OpenAsync("/admins");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains($"aria-label=\"Organization: {name}\"", page.Body, StringComparison.Ordinal);
        Assert.Contains(email, page.Body, StringComparison.Ordinal);

        // The link works once: the account's email now counts as confirmed, and a second use is refused.
        Assert.True(await Host.WithDbAsync(db => db.Users.Where(u => u.Id == outcome.AdminId).Select(u => u.EmailConfirmed).SingleAsync()));
        using var other = new PortalBrowser(Host);
        Assert.Equal("/Account/InvalidPasswordReset", await ChoosePasswordAsync(other, path, email, "somebody else's passphrase"));
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == outcome.OrgId && e.Action == AuditActions.AdminPasswordReset && e.SubjectId == outcome.AdminId)));
        using var stranger = await other.SubmitSignInAsync(email, "somebody else's passphrase");
        Assert.NotEqual(HttpStatusCode.Redirect, stranger.StatusCode);
    }

    /// <summary>Opens the emailed link, types the password twice and presses the button; returns where the answer leads.</summary>
    private static async Task<string?> ChoosePasswordAsync(PortalBrowser browser, string path, string email, string password)
    {
        var form = await browser.OpenAsync(path);
        Assert.Equal(HttpStatusCode.OK, form.Status);
        var fields = PortalBrowser.HiddenFields(form.Body);
        fields["Input.Email"] = email;
        fields["Input.Password"] = password;
        fields["Input.ConfirmPassword"] = password;
        using var answer = await browser.Client.PostAsync(path, new FormUrlEncodedContent(fields));
        Assert.True(answer.StatusCode == HttpStatusCode.Redirect, $"The reset form answered {(int)answer.StatusCode}.");
        return PortalBrowser.RedirectPath(answer);
    }

    private async Task<PlatformScope> PlatformScopeAsync()
    {
        var email = PortalFactory.NewEmail("platform");
        var created = await Host.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(null, email, $"pw-{Guid.NewGuid():N}", platformAdmin: true, Actor.Operator("test"), invite: false);
        await using var scope = Host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>()
            .CreateAsync((await users.FindByIdAsync(created.AdminId!))!);
        return PlatformScope.For(principal)!;
    }

    [GeneratedRegex(@"https?://\S+/Account/ResetPassword\?\S+")]
    private static partial Regex ResetLink();
}
