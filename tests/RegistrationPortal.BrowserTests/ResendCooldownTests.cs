using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// An admin's resend is never held back by the user's resend cooldown (it guards the public doors), but the
/// confirmation says the cooldown runs and until when, in the admin's own zone (here India, UTC+05:30), on the Users
/// page and on the user's page; the resend then goes, and the audit trail records the override.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ResendCooldownTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private static readonly TimeSpan India = TimeSpan.FromHours(5.5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task During_the_cooldown_the_resend_confirmation_warns_until_when_in_the_admins_zone_and_the_resend_still_goes(bool dark)
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Cooldown Widgets");
        var email = PortalFactory.NewEmail("cooldown");
        var userId = (await host.Factory.InviteAllAsync(admin.OrgId, [email]))[0];
        await host.Smtp.WaitForMessagesAsync(email);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850, dark: dark, timeZone: "Asia/Kolkata");
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = dark ? "Switch to light theme" : "Switch to dark theme", Exact = true })).ToBeVisibleAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var resendInDialog = dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true });

        // No resend yet, so no cooldown: the confirmation has no warning.
        await Portal.ResendButton(page, email).ClickAsync();
        await Expect(dialog).ToContainTextAsync($"Send a new registration code to {email}?");
        await Expect(dialog.GetByRole(AriaRole.Note, new() { Name = "Warning", Exact = true })).ToHaveCountAsync(0);
        await resendInDialog.ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.GetByText($"New code sent to {email}. It expires ")).ToBeVisibleAsync();

        // Right after it the cooldown runs: the row's Resend stays usable, and its confirmation says until when.
        var resend = Portal.ResendButton(page, email);
        await Expect(resend).ToBeEnabledAsync();
        await resend.ClickAsync();
        var warning = dialog.GetByRole(AriaRole.Note, new() { Name = "Warning", Exact = true });
        await Expect(warning).ToContainTextAsync($"This user's resend cooldown runs until {await CooldownEndsAsync(admin.OrgId, email)} (UTC+05:30)");
        await Expect(warning).ToContainTextAsync("You can resend now as an admin");
        await Expect(resendInDialog).ToBeEnabledAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the resend confirmation with its cooldown warning");
        await Accessibility.AssertNoContrastViolationsAsync(dialog, $"the cooldown warning in the {(dark ? "dark" : "light")} theme");
        await resendInDialog.ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Wait.WaitUntilAsync(
            () => host.Factory.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.SubjectId == userId && e.Action == AuditActions.ResendCooldownOverridden)),
            TimeSpan.FromSeconds(15),
            "the overriding resend is audited");

        // The user's page warns the same way, with the cooldown the last resend started.
        await page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = email, Exact = true, Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend code", Exact = true }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Note, new() { Name = "Warning", Exact = true })).ToContainTextAsync($"This user's resend cooldown runs until {await CooldownEndsAsync(admin.OrgId, email)} (UTC+05:30)");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        session.AssertNoConsoleErrors();
    }

    /// <summary>The end of the user's cooldown as the admin in India reads it, from the admins' counter the last resend wrote.</summary>
    private async Task<string> CooldownEndsAsync(string orgId, string email)
    {
        var normalized = RegistrationPortal.Web.Shared.EmailAddress.Normalize(email);
        var last = await host.Factory.WithDbAsync(db => db.AdminResendThrottles.Where(t => t.OrgId == orgId && t.NormalizedUsername == normalized).Select(t => t.LastRequestAt).SingleAsync());
        var cooldown = host.Factory.Services.GetRequiredService<IOptionsMonitor<RegistrationOptions>>().CurrentValue.ResendCooldown;
        return (last + cooldown).ToOffset(India).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
    }
}
