using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// "Your account" as an admin meets it: inside the portal (its navigation and Sign out), no field the portal does not
/// use, and an authenticator set-up with a QR code to scan. Each test makes its own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class AccountAreaTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Fact]
    public async Task Your_account_has_the_portals_navigation_and_sign_out_and_no_phone_number()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Account Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Your account", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Profile" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Phone number")).ToHaveCountAsync(0);
        var portal = page.GetByRole(AriaRole.Navigation, new() { Name = "Portal", Exact = true });
        foreach (var link in new[] { "Dashboard", "Users", "Applications", "Audit", "Your account" })
        {
            await Expect(portal.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToBeVisibleAsync();
        }

        await Expect(page.GetByRole(AriaRole.Banner)).ToContainTextAsync(admin.Email);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Profile page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("account.png") });

        // Back to the portal in one click, and out of it in another.
        await portal.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Portal.WaitUntilInteractiveAsync(page);
        await page.GotoAsync("Account/Manage/Passkeys");
        await page.GetByRole(AriaRole.Banner).GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GotoAsync("Account/Manage");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_authenticator_set_up_shows_a_qr_code_of_the_key_it_prints()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Qr Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);
        await page.GotoAsync("Account/Manage/EnableAuthenticator");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Configure authenticator app" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "enable QR code generation" })).ToHaveCountAsync(0);
        var qr = page.GetByRole(AriaRole.Img, new() { Name = "QR code for your authenticator app", Exact = true });
        await Expect(qr).ToBeVisibleAsync();
        var size = await qr.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : 0");
        Assert.True(size >= 100, $"the QR code is {size} px wide");

        // The picture encodes the very key printed beside it, for this admin, in the otpauth form apps read.
        var key = (await page.Locator("kbd").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var uri = await qr.GetAttributeAsync("data-uri");
        Assert.Equal($"otpauth://totp/RegistrationPortal:{System.Text.Encodings.Web.UrlEncoder.Default.Encode(admin.Email)}?secret={key}&issuer=RegistrationPortal&digits=6", uri);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the authenticator set-up");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("authenticator.png"), FullPage = true });
        session.AssertNoConsoleErrors();
    }

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();
}
