using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The admin portal in a real browser, on a host seeded with the demo organization of the README. Only the resend
/// test changes a demo user (bob); the other tests read the seeded users or make their own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class AdminPortalTests(BrowserFixture browser, DemoBrowserHost host, ITestOutputHelper output) : IClassFixture<DemoBrowserHost>
{
    private const string PlatformAdminEmail = "platform@registration-portal.example";

    private const string PlatformAdminPassword = "demo-platform-password";

    private static readonly string[] DemoPendingUsers = ["alice@example.com", "bob@example.com", "carol@example.com"];

    /// <summary>
    /// The newcomer's path of the README: open the portal's address, sign in with the demo admin, find bob, resend.
    /// Its wall time is printed (the test output of this test), not asserted: a loaded machine must not fail it.
    /// </summary>
    [Fact]
    public async Task The_demo_admin_finds_a_pending_user_resends_the_code_and_the_new_code_from_the_email_works()
    {
        const string email = "bob@example.com";
        var oldCode = Mail.Code((await host.Smtp.WaitForMessagesAsync(email))[0]);
        var clock = Stopwatch.StartNew();
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(UsersUrl());
        await Portal.WaitUntilInteractiveAsync(page);

        await Portal.SearchField(page).FillAsync("bob");
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await Portal.ResendButton(page, email).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"Send a new registration code to {email}? Every earlier code of this user stops working.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true }).ClickAsync();

        await Expect(page.GetByText($"New code sent to {email}. It expires ")).ToBeVisibleAsync();
        var confirmed = clock.Elapsed;
        await Expect(dialog).ToBeHiddenAsync();
        var mails = await host.Smtp.WaitForMessagesAsync(email, 2);
        var delivered = clock.Elapsed;
        output.WriteLine(FormattableString.Invariant(
            $"Newcomer path on the demo seed (open the portal, sign in, find bob, resend): {confirmed.TotalSeconds:0.0} s to the confirmation, {delivered.TotalSeconds:0.0} s to the new code in the inbox."));
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
            .CreateAsync(orgId, adminEmail, password, platformAdmin: false, Actor.Operator("test"), invite: false);
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

    [Fact]
    public async Task The_applications_and_audit_pages_pass_the_accessibility_scan_and_are_photographed()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1280, height: 800);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);

        await page.GetByRole(AriaRole.Link, new() { Name = "Applications", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Applications", Level = 1 })).ToBeVisibleAsync();
        var applications = page.GetByRole(AriaRole.Table, new() { Name = "Applications" });
        await Expect(applications).ToContainTextAsync(DemoBrowserHost.DemoAppId);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Applications page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("applications.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit", Level = 1 })).ToBeVisibleAsync();
        var events = page.GetByRole(AriaRole.Table, new() { Name = "Audit events" });
        await Expect(events.GetByRole(AriaRole.Button, new() { NameRegex = OpenEventName() }).First).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Audit page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("audit.png"), FullPage = true });

        var open = events.GetByRole(AriaRole.Button, new() { NameRegex = OpenEventName() }).First;
        var eventId = OpenEventName().Match((await open.GetAttributeAsync("aria-label"))!).Groups["id"].Value;
        await open.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Event {eventId}", Exact = true });
        var details = dialog.GetByRole(AriaRole.Table, new() { Name = "Event" });
        await Expect(details.GetByRole(AriaRole.Rowheader)).ToHaveTextAsync(["Time", "Action", "Actor", "Client address", "Subject", "Details"]);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the audit event dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_platform_admin_starts_on_the_organizations_page_which_passes_the_accessibility_scan()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1280, height: 800);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", PlatformAdminEmail, PlatformAdminPassword);

        await Expect(page).ToHaveURLAsync(OrganizationsUrl());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Organizations", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to Acme Demo", Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Organizations page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("organizations.png"), FullPage = true });
        session.AssertNoConsoleErrors();
    }

    /// <summary>
    /// A platform admin on a 390 px phone: the app bar fits the screen with the whole organization name, and Sign out
    /// is in reach in the app bar and in the navigation drawer.
    /// </summary>
    [Fact]
    public async Task At_phone_width_the_app_bar_fits_shows_the_whole_organization_and_the_drawer_signs_out()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", PlatformAdminEmail, PlatformAdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to Acme Demo", Exact = true }).TapAsync();
        var appBar = page.GetByRole(AriaRole.Banner);
        await Expect(appBar.GetByLabel("Organization: Acme Demo", new() { Exact = true })).ToBeVisibleAsync();
        await Portal.WaitForCircuitAsync(page);

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        Assert.True(await appBar.EvaluateAsync<bool>("bar => bar.scrollWidth <= bar.clientWidth"), "the app bar overflows at 390 px");
        foreach (var control in await appBar.Locator("button:visible, a:visible, .mud-chip:visible").AllAsync())
        {
            var box = await control.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"{await control.GetAttributeAsync("aria-label") ?? await control.InnerTextAsync()} sticks out of the screen: x {box.X}, width {box.Width}");
        }

        // Nothing of the organization's name is cut off.
        var organization = appBar.GetByLabel("Organization: Acme Demo", new() { Exact = true });
        await Expect(organization).ToHaveTextAsync("Acme Demo");
        Assert.True(
            await organization.EvaluateAsync<bool>("chip => [chip, ...chip.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)"),
            "the organization's name is cut off");
        await Expect(appBar.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true })).ToBeInViewportAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the dashboard at phone width");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("dashboard-phone.png") });

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation", Exact = true }).TapAsync();
        var drawer = page.GetByRole(AriaRole.Complementary, new() { Name = "Navigation", Exact = true });
        await Expect(drawer.GetByRole(AriaRole.Link, new() { Name = "Switch organization", Exact = true })).ToBeInViewportAsync();
        var signOut = drawer.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });
        await Expect(signOut).ToBeInViewportAsync();
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("drawer-phone.png") });
        await signOut.TapAsync();

        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GotoAsync("users");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        session.AssertNoConsoleErrors();
    }

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();

    [GeneratedRegex("/users$")]
    private static partial Regex UsersUrl();

    [GeneratedRegex("/organizations$")]
    private static partial Regex OrganizationsUrl();

    [GeneratedRegex(@"^Open event (?<id>\d+)")]
    private static partial Regex OpenEventName();
}
