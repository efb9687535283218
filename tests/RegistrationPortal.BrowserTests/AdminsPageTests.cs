using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// An org admin's Admins page: the organization's admins only, what each has done (password, confirmed email,
/// sign-in), and the invitation and password-reset emails sent from it after a confirmation, to the real SMTP server.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminsPageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Fact]
    public async Task An_org_admin_sees_their_organizations_admins_and_resends_an_invitation_and_a_password_reset_after_confirming()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Admins Widgets");
        var invitee = PortalFactory.NewEmail("invitee");
        var invited = await host.Factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(admin.OrgId, invitee, password: null, platformAdmin: false, Actor.Operator("test"), invite: true);
        Assert.Equal(CreateAdminStatus.Created, invited.Status);
        await host.Smtp.WaitForMessagesAsync(invitee);
        var stranger = await host.Factory.CreateOrganizationWithAdminAsync("Other Widgets");

        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Admins", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Admins", Level = 1 })).ToBeVisibleAsync();

        var table = page.GetByRole(AriaRole.Table, new() { Name = "Admins" });
        await Expect(table.GetByRole(AriaRole.Row)).ToHaveCountAsync(3);
        await Expect(table).Not.ToContainTextAsync(stranger.Email);
        var inviteeRow = table.GetByRole(AriaRole.Row).Filter(new() { HasText = invitee });
        var selfRow = table.GetByRole(AriaRole.Row).Filter(new() { HasText = admin.Email });
        await Expect(inviteeRow).ToContainTextAsync("Not chosen yet");
        await Expect(inviteeRow).ToContainTextAsync("Not yet");
        await Expect(inviteeRow).ToContainTextAsync("Active");
        await Expect(inviteeRow.Locator("time")).ToHaveCountAsync(1);
        await Expect(selfRow).ToContainTextAsync("Set");
        await Expect(selfRow).ToContainTextAsync("Confirmed");

        // The admin who just signed in has a last sign-in and needs no invitation; the invitee has none and does.
        await Expect(selfRow.Locator("time")).ToHaveCountAsync(2);
        await Expect(selfRow.GetByRole(AriaRole.Button, new() { Name = $"Resend invitation to {admin.Email}" })).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Admins page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("admins.png"), FullPage = true });

        // The confirmation starts on Cancel, and Escape closes it with nothing sent.
        var resend = page.GetByRole(AriaRole.Button, new() { Name = $"Resend invitation to {invitee}", Exact = true });
        await resend.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"Email {invitee} a new invitation with a link to choose a password?");
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true })).ToBeFocusedAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the resend invitation confirmation");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();

        await resend.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resend invitation", Exact = true }).ClickAsync();
        await Expect(page.GetByText($"Invitation sent to {invitee}.")).ToBeVisibleAsync();
        var invitations = await host.Smtp.WaitForMessagesAsync(invitee, 2);
        Assert.Equal(2, invitations.Count);
        Assert.All(invitations, m => Assert.Equal("You are an admin of Admins Widgets", m.Message.Subject));
        await Expect(resend).ToBeFocusedAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Send password reset to {admin.Email}", Exact = true }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true })).ToBeFocusedAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Send password reset", Exact = true }).ClickAsync();
        await Expect(page.GetByText($"Password reset link sent to {admin.Email}.")).ToBeVisibleAsync();
        var reset = Assert.Single(await host.Smtp.WaitForMessagesAsync(admin.Email));
        Assert.Equal("Reset your RegistrationPortal password", reset.Message.Subject);

        // Each sending is in the audit trail, by the admin who asked.
        var trail = await host.Factory.WithDbAsync(db => db.AuditEvents
            .Where(e => e.OrgId == admin.OrgId && (e.Action == AuditActions.AdminInvited || e.Action == AuditActions.AdminPasswordResetRequested) && e.ActorKind == "Admin")
            .OrderBy(e => e.Id).Select(e => e.Action).ToListAsync());
        Assert.Equal([AuditActions.AdminInvited, AuditActions.AdminPasswordResetRequested], trail);
        Assert.Empty(host.Smtp.MessagesTo(stranger.Email));

        // And the Audit page lists them, about the admin they were sent to.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Audit events" }).GetByRole(AriaRole.Row);
        await Expect(audit.Filter(new() { HasText = AuditActions.AdminPasswordResetRequested }).Filter(new() { HasText = $"Admin {admin.Email}" })).ToHaveCountAsync(1);
        await Expect(audit.Filter(new() { HasText = AuditActions.AdminInvited }).Filter(new() { HasText = $"Admin {invitee}" })).ToHaveCountAsync(2);
        session.AssertNoConsoleErrors();
    }

    /// <summary>On a 390 px phone the Admins page does not scroll sideways and every admin's action is on the screen.</summary>
    [Fact]
    public async Task At_phone_width_every_admins_action_is_on_the_screen()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Phone Widgets");
        var invitee = PortalFactory.NewEmail("phone-invitee");
        var invited = await host.Factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(admin.OrgId, invitee, password: null, platformAdmin: false, Actor.Operator("test"), invite: true);
        Assert.Equal(CreateAdminStatus.Created, invited.Status);

        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "admins", admin.Email, admin.Password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Admins", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Resend invitation to {invitee}", Exact = true })).ToBeVisibleAsync();
        await Portal.WaitForCircuitAsync(page);

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the Admins page scrolls sideways at 390 px");
        var actions = await page.Locator(".mud-main-content button:visible").AllAsync();
        Assert.NotEmpty(actions);
        foreach (var action in actions)
        {
            var box = await action.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"{await action.GetAttributeAsync("aria-label") ?? await action.InnerTextAsync()} sticks out of the screen: x {box.X}, width {box.Width}");
        }

        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("admins-phone.png"), FullPage = true });
    }
}
