using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The admin portal in a real browser, on a host seeded with the demo organization of the README. Only the resend
/// test changes a demo user (bob); the other tests read the seeded users or make their own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminPortalTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    private static readonly string[] DemoPendingUsers = ["alice@example.com", "bob@example.com", "carol@example.com"];

    [Fact]
    public async Task The_demo_admin_finds_a_pending_user_resends_the_code_and_the_new_code_from_the_email_works()
    {
        const string email = "bob@example.com";
        var oldCode = Mail.Code((await host.Smtp.WaitForMessagesAsync(email))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);

        await Portal.SearchField(page).FillAsync("bob");
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await Portal.ResendButton(page, email).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"Send a new registration code to {email}? Every earlier code of this user stops working.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true }).ClickAsync();

        await Expect(page.GetByText($"New code sent to {email}. It expires ")).ToBeVisibleAsync();
        await Expect(dialog).ToBeHiddenAsync();
        var mails = await host.Smtp.WaitForMessagesAsync(email, 2);
        var newCode = Mail.Code(mails[^1]);
        Assert.NotEqual(oldCode, newCode);
        using (var old = await host.Http.InitAsync(DemoBrowserHost.DemoOrgId, email, oldCode))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var current = await host.Http.InitAsync(DemoBrowserHost.DemoOrgId, email, newCode))
        {
            Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        }

        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Another_organizations_admin_sees_only_their_own_users()
    {
        var orgId = await host.Factory.CreateOrganizationAsync("Beta Widgets");
        var ownUser = PortalFactory.NewEmail("beta-user");
        await host.Factory.InviteAsync(orgId, ownUser);
        var adminEmail = PortalFactory.NewEmail("beta-admin");
        const string password = "beta admin passphrase";
        var created = await host.Factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(orgId, adminEmail, password, platformAdmin: false, Actor.Operator("test"));
        Assert.Equal(CreateAdminStatus.Created, created.Status);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;

        await Portal.SignInToUsersAsync(page, adminEmail, password);

        await Expect(Portal.ResendButton(page, ownUser)).ToBeVisibleAsync();
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        foreach (var demoUser in DemoPendingUsers)
        {
            await Expect(page.GetByText(demoUser)).ToHaveCountAsync(0);
        }

        await Portal.SearchField(page).FillAsync("alice");
        await Expect(page.GetByText("No user matches. Clear the search or change the filters.")).ToBeVisibleAsync();

        // Asking for the demo organization by address does not widen the admin's scope: the page stays on their own.
        await page.GotoAsync($"users?org={DemoBrowserHost.DemoOrgId}");
        await Expect(Portal.ResendButton(page, ownUser)).ToBeVisibleAsync();
        await Expect(page.GetByText("alice@example.com")).ToHaveCountAsync(0);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_detail_page_shows_the_code_history_passes_the_accessibility_scan_and_is_photographed()
    {
        const string email = "alice@example.com";
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1280, height: 800);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);

        await page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = email, Exact = true, Level = 1 })).ToBeVisibleAsync();
        var codes = page.GetByRole(AriaRole.Table, new() { Name = "Registration codes" });
        await Expect(codes.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Expect(codes).ToContainTextAsync("System");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resend code", Exact = true })).ToBeEnabledAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the user detail page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("user-detail.png"), FullPage = true });
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_sign_in_page_and_the_users_page_pass_the_accessibility_scan_and_are_photographed()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1280, height: 800);
        var page = session.Page;

        await page.GotoAsync("Account/Login");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the sign-in page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("sign-in.png") });

        await Portal.SignInToUsersAsync(page, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);
        foreach (var user in DemoPendingUsers)
        {
            await Expect(page.GetByRole(AriaRole.Cell, new() { Name = user, Exact = true })).ToBeVisibleAsync();
        }

        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Users page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("users.png") });

        await Portal.ResendButton(page, "carol@example.com").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the resend confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        session.AssertNoConsoleErrors();
    }
}
