using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The dark theme, switched on in the app bar as an admin would, read by axe's colour-contrast rule (4.5:1 for text)
/// on every portal page, a dialog, a destructive confirmation and a toast; the static account pages follow the
/// system's dark scheme. Each test makes its own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DarkModeTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    [Fact]
    public async Task In_dark_mode_every_portal_page_its_dialogs_and_its_toasts_pass_the_colour_contrast_check()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Dark Widgets");
        var emails = new[] { PortalFactory.NewEmail("dark-a"), PortalFactory.NewEmail("dark-b") };
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);

        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the dashboard in dark mode");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("dashboard-dark.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Portal.WaitUntilInteractiveAsync(page);
        await Expect(Portal.ResendButton(page, emails[0])).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the Users page in dark mode");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("users-dark.png") });
        await Portal.ResendButton(page, emails[0]).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(dialog, "the resend confirmation in dark mode");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = emails[0], Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = emails[0], Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the user detail page in dark mode");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(dialog, "the deactivate confirmation in dark mode");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true }).ClickAsync();
        var toast = page.Locator(".mud-snackbar").Filter(new() { HasText = $"{emails[0]} is deactivated." });
        await Expect(toast).ToBeVisibleAsync();

        // Read as it looks once faded in: halfway through its fade its colours blend with the page's.
        await toast.EvaluateAsync("toast => toast.getAnimations({ subtree: true }).forEach(a => a.finish())");
        await Accessibility.AssertNoContrastViolationsAsync(toast, "the success toast in dark mode");

        // Dismissed, so that the pages below are not read with a toast fading out over them.
        await toast.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(toast).ToBeHiddenAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Applications", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Applications", Level = 1 })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the Applications page in dark mode");

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Audit events" }).GetByRole(AriaRole.Row).Nth(1)).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the Audit page in dark mode");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task In_dark_mode_the_admins_page_and_its_confirmation_pass_the_colour_contrast_check()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Dark Admins");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Admins", Exact = true }).ClickAsync();
        var reset = page.GetByRole(AriaRole.Button, new() { Name = $"Send password reset to {admin.Email}", Exact = true });
        await Expect(reset).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the Admins page in dark mode");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("admins-dark.png"), FullPage = true });
        await reset.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(dialog, "the password reset confirmation in dark mode");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task In_dark_mode_the_platform_admins_organizations_page_and_its_warning_chip_pass_the_colour_contrast_check()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "organizations", "platform@registration-portal.example", "demo-platform-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to Acme Demo", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("No organization selected", new() { Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the Organizations page in dark mode");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task With_the_systems_dark_scheme_the_sign_in_page_and_the_account_pages_pass_the_colour_contrast_check()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Dark Account");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850, dark: true);
        var page = session.Page;
        await page.GotoAsync("Account/Login");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Level = 1 })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the sign-in page in the dark scheme");

        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(admin.Email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(admin.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(LoginUrl());
        await page.GotoAsync("Account/Manage/TwoFactorAuthentication");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Two-factor authentication (2FA)" })).ToBeVisibleAsync();
        await Accessibility.AssertNoContrastViolationsAsync(page, "the two-factor page in the dark scheme");
        session.AssertNoConsoleErrors();
    }

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();
}
