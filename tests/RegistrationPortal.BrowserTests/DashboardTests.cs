using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The dashboard in a real browser under the host's Content-Security-Policy, on the demo organization of the README
/// with a month of activity added and one failed delivery (carol's invitation).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DashboardTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    private const string FailedUser = "carol@example.com";

    [Fact]
    public async Task The_demo_admin_lands_on_the_dashboard_follows_a_failed_delivery_to_its_user_and_the_page_passes_the_accessibility_scan()
    {
        await AddMonthOfActivityAsync();
        var carolId = await FailInvitationAsync(FailedUser);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1280, height: 1000);
        var page = session.Page;

        await Portal.SignInAtAsync(page, string.Empty, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);
        await Expect(page).ToHaveURLAsync(host.BaseAddress.ToString());

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Exact = true, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true })).ToHaveClassAsync(ActiveClass());
        await Expect(page.GetByLabel("3 pending users", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("1 delivery failures awaiting attention", new() { Exact = true })).ToBeVisibleAsync();
        var chart = page.GetByRole(AriaRole.Img, new() { NameRegex = ChartName() });
        await Expect(chart).ToBeVisibleAsync();
        await Expect(chart.Locator("svg").First).ToBeVisibleAsync();

        var failures = page.GetByRole(AriaRole.Table, new() { Name = "Delivery failures awaiting attention" });
        await Expect(failures).ToContainTextAsync("550 5.1.1 mailbox unavailable");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("dashboard.png"), FullPage = true });

        // The table alternative opens from its summary and has a row per day; the scan covers it open.
        await page.GetByText("Show the figures as a table", new() { Exact = true }).ClickAsync();
        var days = page.GetByRole(AriaRole.Table, new() { Name = "Codes sent and registrations completed per day" });
        await Expect(days.Locator("tbody tr")).ToHaveCountAsync(30);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the dashboard");

        await failures.GetByRole(AriaRole.Link, new() { Name = FailedUser, Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/users/{carolId}$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = FailedUser, Exact = true, Level = 1 })).ToBeVisibleAsync();
        session.AssertNoConsoleErrors();
    }

    /// <summary>Codes sent and registrations completed on each of the last 29 days, as audit events, so the chart has a month to show.</summary>
    private Task<int> AddMonthOfActivityAsync() => host.Factory.WithDbAsync(async db =>
    {
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        for (var back = 1; back < 30; back++)
        {
            var day = today.AddDays(-back);
            var codes = 4 + ((back * 7) % 9);
            var registrations = (back * 5) % 4;
            for (var i = 0; i < codes + registrations; i++)
            {
                db.AuditEvents.Add(new AuditEvent
                {
                    OrgId = DemoBrowserHost.DemoOrgId,
                    Action = i < codes ? AuditActions.CodeSent : AuditActions.RegistrationCompleted,
                    At = day.AddHours(9).AddMinutes(i * 7),
                    ActorKind = "Operator",
                    ActorId = "browser-test",
                });
            }
        }

        return await db.SaveChangesAsync();
    });

    /// <summary>Waits until the dispatcher has sent the user's invitation, then records it as given up after eight refusals.</summary>
    private async Task<string> FailInvitationAsync(string email)
    {
        await host.Smtp.WaitForMessagesAsync(email);
        return await host.Factory.WithDbAsync(async db =>
        {
            var userId = await db.OrgUsers.Where(u => u.OrgId == DemoBrowserHost.DemoOrgId && u.Username == email).Select(u => u.Id).SingleAsync();
            await db.OutboxMessages.Where(m => m.UserId == userId).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatus.Failed)
                .SetProperty(m => m.Attempts, 8)
                .SetProperty(m => m.LastAttemptAt, DateTimeOffset.UtcNow)
                .SetProperty(m => m.LastError, "SmtpCommandException: 550 5.1.1 mailbox unavailable"));
            return userId;
        });
    }

    [GeneratedRegex("^Bar chart of codes sent and registrations completed per day")]
    private static partial Regex ChartName();

    [GeneratedRegex(@"\bactive\b")]
    private static partial Regex ActiveClass();
}
