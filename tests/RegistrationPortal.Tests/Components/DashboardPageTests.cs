using AngleSharp.Dom;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Dashboard.Pages;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>The dashboard over the real services and database, at a fixed moment, so every bucket and day is known.</summary>
public sealed class DashboardPageTests : PortalComponentTest
{
    // Midday, so that "an hour ago" and "today" are the same UTC day.
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Today = new(2026, 3, 15, 0, 0, 0, TimeSpan.Zero);

    public DashboardPageTests(PortalServices portal)
        : base(portal)
    {
        Bunit.Services.AddSingleton(new DashboardService(Service<IDbContextFactory<PortalDbContext>>(), new FakeTimeProvider(Now)));
    }

    [Fact]
    public async Task Shows_the_organizations_pending_users_by_age_its_activity_per_day_its_failures_and_its_queue()
    {
        var org = await Portal.CreateOrganizationAsync("Dashboard Org");
        var other = await Portal.CreateOrganizationAsync("Someone Else");
        SignInAsAdminOf(org);

        // Pending: 2 invited within the day, 1 within the week, 3 within the month, 1 earlier; registered and
        // deactivated users never count, nor another organization's.
        TimeSpan[] pendingAges = [Hours(1), Hours(20), Days(3), Days(8), Days(12), Days(29), Days(45)];
        var pending = await Portal.InsertAsync(org, pendingAges.Length, i => $"pending{i}@example.com", i => Now - pendingAges[i]);
        var registered = await Portal.InsertAsync(org, 1, _ => "done@example.com", _ => Now - Hours(2), _ => UserStatus.Registered);
        await Portal.InsertAsync(org, 1, _ => "gone@example.com", _ => Now - Hours(2), _ => UserStatus.Deactivated);
        var elsewhere = await Portal.InsertAsync(other, 2, i => $"theirs{i}@example.com", _ => Now - Hours(1));

        // Codes today 2, yesterday 1, 29 days back 3 (the chart's first day), 30 days back 1 (outside it);
        // registrations yesterday 1 and 5 days back 2. Other actions and another organization's events do not count.
        await AddEventsAsync(
            (org, AuditActions.CodeSent, Today.AddHours(1)),
            (org, AuditActions.CodeSent, Today.AddHours(11)),
            (org, AuditActions.CodeSent, Today.AddDays(-1).AddHours(23).AddMinutes(59)),
            (org, AuditActions.CodeSent, Today.AddDays(-29)),
            (org, AuditActions.CodeSent, Today.AddDays(-29).AddHours(5)),
            (org, AuditActions.CodeSent, Today.AddDays(-29).AddHours(6)),
            (org, AuditActions.CodeSent, Today.AddDays(-30).AddHours(23)),
            (org, AuditActions.RegistrationCompleted, Today.AddDays(-1).AddHours(8)),
            (org, AuditActions.RegistrationCompleted, Today.AddDays(-5).AddHours(8)),
            (org, AuditActions.RegistrationCompleted, Today.AddDays(-5).AddHours(9)),
            (org, AuditActions.EmailDelivered, Today.AddHours(2)),
            (other, AuditActions.CodeSent, Today.AddHours(2)),
            (other, AuditActions.RegistrationCompleted, Today.AddHours(2)));

        // pending[0]: its latest email failed (listed). pending[1]: failed, then resent and queued for a retry
        // (not listed; queued). pending[2]: queued, first try. The registered user's and another organization's
        // failures are not listed.
        await AddMessagesAsync(
            Message(org, pending[0], OutboxStatus.Failed, Now - Hours(5), attempts: 8, "550 5.1.1 mailbox unavailable"),
            Message(org, pending[1], OutboxStatus.Failed, Now - Hours(6), attempts: 8, "timeout"),
            Message(org, pending[1], OutboxStatus.Pending, Now - Hours(3), attempts: 1, "451 try again later"),
            Message(org, pending[2], OutboxStatus.Pending, Now - Minutes(10), attempts: 0, null),
            Message(org, registered[0], OutboxStatus.Failed, Now - Hours(4), attempts: 8, "refused"),
            Message(other, elsewhere[0], OutboxStatus.Failed, Now - Hours(4), attempts: 8, "refused"),
            Message(other, elsewhere[1], OutboxStatus.Pending, Now - Days(2), attempts: 0, null));

        var page = RenderInteractive<DashboardPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[aria-label='7 pending users']")), Deadline);
        Assert.Equal(
            [("Invited under a day ago", "2"), ("A day to a week", "1"), ("A week to a month", "3"), ("Over a month", "1")],
            Table(page, "Pending users by time since invitation").Select(r => (r[0], r[1])));
        Assert.Equal("1", page.Find("[aria-label='1 delivery failures awaiting attention']").TextContent.Trim());
        Assert.Equal("2", page.Find("[aria-label='2 emails queued']").TextContent.Trim());
        Assert.Contains("the oldest queued 2026-03-15 09:00 UTC (3 h ago); 1 retrying after a failed attempt", page.Markup, StringComparison.Ordinal);

        var chart = page.FindComponent<MudChart<double>>();
        var labels = chart.Instance.ChartLabels;
        Assert.Equal(DashboardService.ChartDays, labels.Length);
        Assert.Equal(("02-14", "03-15"), (labels[0], labels[^1]));
        var series = chart.Instance.ChartSeries;
        Assert.Equal(["Codes sent", "Registrations completed"], series.Select(s => s.Name));
        Assert.Equal(Expected(DashboardService.ChartDays, (0, 3), (28, 1), (29, 2)), series[0].Data.Values);
        Assert.Equal(Expected(DashboardService.ChartDays, (24, 2), (28, 1)), series[1].Data.Values);
        Assert.StartsWith(
            "Bar chart of codes sent and registrations completed per day over the last 30 days: 6 codes sent, 3 registrations completed.",
            page.Find("div[role='img']").GetAttribute("aria-label"),
            StringComparison.Ordinal);

        // The table alternative says the same, day by day.
        var days = Table(page, "Codes sent and registrations completed per day");
        Assert.Equal(DashboardService.ChartDays, days.Count);
        Assert.Equal(["2026-02-14", "3", "0"], days[0]);
        Assert.Equal(["2026-03-10", "0", "2"], days[24]);
        Assert.Equal(["2026-03-14", "1", "1"], days[28]);
        Assert.Equal(["2026-03-15", "2", "0"], days[29]);

        var failures = Table(page, "Delivery failures awaiting attention");
        Assert.Equal([["pending0@example.com", "2026-03-15 09:00", "8", "550 5.1.1 mailbox unavailable"]], failures);
        var link = page.FindAll("a").Single(a => a.TextContent.Trim() == "pending0@example.com");
        Assert.Equal($"users/{pending[0]}", link.GetAttribute("href"));
    }

    [Fact]
    public async Task Refresh_adds_todays_new_activity_and_keeps_the_ended_days_as_counted()
    {
        var org = await Portal.CreateOrganizationAsync("Refresh Org");
        SignInAsAdminOf(org);
        await AddEventsAsync(
            (org, AuditActions.CodeSent, Now - Days(1)),
            (org, AuditActions.CodeSent, Now - Days(20)),
            (org, AuditActions.RegistrationCompleted, Now - Days(1)),
            (org, AuditActions.CodeSent, Now - Hours(2)));
        var page = RenderInteractive<DashboardPage>();
        page.WaitForAssertion(() => Assert.Equal(["2026-03-15", "1", "0"], Table(page, "Codes sent and registrations completed per day")[29]), Deadline);

        await AddEventsAsync((org, AuditActions.CodeSent, Now - Minutes(1)), (org, AuditActions.RegistrationCompleted, Now - Minutes(1)));
        await page.FindAll("button").Single(b => b.TextContent.Trim() == "Refresh").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal(["2026-03-15", "2", "1"], Table(page, "Codes sent and registrations completed per day")[29]), Deadline);
        var days = Table(page, "Codes sent and registrations completed per day");
        Assert.Equal(["2026-03-14", "1", "1"], days[28]);
        Assert.Equal(["2026-02-23", "1", "0"], days[9]);
        Assert.Contains("4 codes sent, 2 registrations completed.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_organization_shows_zeros_and_what_to_do_instead_of_an_empty_chart()
    {
        var org = await Portal.CreateOrganizationAsync("Empty Org");
        SignInAsAdminOf(org);

        var page = RenderInteractive<DashboardPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[aria-label='0 pending users']")), Deadline);
        Assert.Contains(page.FindAll("p"), p => p.TextContent.Trim() == "No one is waiting to register. Invite users on the Users page.");
        Assert.Equal("0", page.Find("[aria-label='0 delivery failures awaiting attention']").TextContent.Trim());
        Assert.Equal("0", page.Find("[aria-label='0 emails queued']").TextContent.Trim());
        Assert.Contains("No email is waiting to be sent.", page.Markup, StringComparison.Ordinal);
        Assert.Contains("0 codes sent, 0 registrations completed.", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Nothing to chart yet", page.Markup, StringComparison.Ordinal);
        Assert.Empty(page.FindComponents<MudChart<double>>());
        Assert.Contains("Nothing needs attention: no pending user's latest email has failed.", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(page.FindAll("table"), t => t.QuerySelector("caption")?.TextContent is "Delivery failures awaiting attention" or "Pending users by time since invitation");
    }

    [Fact]
    public async Task A_mass_bounce_is_reported_as_more_than_the_limit_with_the_newest_failures_listed()
    {
        var org = await Portal.CreateOrganizationAsync("Bounce Org");
        SignInAsAdminOf(org);
        var users = await Portal.InsertAsync(org, DashboardService.FailureCountLimit + 1, i => $"bounce{i:D3}@example.com", i => Now - Days(2));
        await AddMessagesAsync([.. users.Select((id, i) => Message(org, id, OutboxStatus.Failed, Now - Hours(30) + Minutes(i), attempts: 8, "550 5.1.1 mailbox unavailable"))]);

        var page = RenderInteractive<DashboardPage>();

        page.WaitForAssertion(() => Assert.Equal("100+", page.Find("[aria-label='more than 100 delivery failures awaiting attention']").TextContent.Trim()), Deadline);
        var failures = Table(page, "Delivery failures awaiting attention");
        Assert.Equal(DashboardService.FailuresListed, failures.Count);
        Assert.Equal(["bounce100@example.com", "bounce099@example.com"], failures.Take(2).Select(r => r[0]));
        Assert.Contains("The newest 10 of more than 100 failures.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_bucket_stops_counting_at_its_limit_and_says_more_than()
    {
        var org = await Portal.CreateOrganizationAsync("Big Org");
        await Portal.InsertAsync(org, 3, i => $"old{i}@example.com", _ => Now - Days(40));
        await Portal.InsertAsync(org, 2, i => $"new{i}@example.com", _ => Now - Hours(2));
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();

        var pending = await DashboardService.ReadPendingAsync(db, org, Now, limit: 2, CancellationToken.None);

        Assert.Equal(new BoundedCount(2), pending.UnderADay);
        Assert.Equal(new BoundedCount(2, MoreThan: true), pending.Older);
        Assert.Equal("more than 4", pending.Total.ToString());
        Assert.Equal("4+", pending.Total.ToShortString());
    }

    [Fact]
    public async Task Every_figure_is_counted_over_an_index_and_the_chart_is_one_statement_without_a_sort()
    {
        await using var db = await Service<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        const string org = "or-plans-plans-plansplansplans1";

        // Explained as the rows' ids, which is what a count reads.
        var pending = await QueryPlans.ExplainAsync(DashboardService.PendingCreated(db, org, Now.AddDays(-7), Now.AddDays(-1)).Select(u => u.CreatedAt));
        var chart = await QueryPlans.ExplainAsync(DashboardService.DayCounts(db, org, Today.AddDays(-29)));
        var queue = await QueryPlans.ExplainAsync(DashboardService.Queued(db, org).OrderBy(m => m.CreatedAt).Select(m => m.CreatedAt));
        var failed = await QueryPlans.ExplainAsync(DashboardService.AwaitingAttention(db, org).Select(f => f.Message.Id));

        Assert.Contains(pending, line => line.Contains("USING INDEX IX_Users_Pending_ByCreated (OrgId=? AND CreatedAt>? AND CreatedAt<?)", StringComparison.Ordinal));
        var searches = chart.Where(line => line.StartsWith("SEARCH", StringComparison.Ordinal)).ToList();
        Assert.Equal(DashboardService.ChartDays, searches.Count);
        Assert.All(searches, line => Assert.Contains("USING COVERING INDEX IX_AuditEvents_OrgId_Action_At (OrgId=? AND Action=? AND At>? AND At<?)", line, StringComparison.Ordinal));
        Assert.DoesNotContain(chart, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));

        // The organization's own mail, however much other organizations have queued.
        Assert.Equal(["SEARCH o USING COVERING INDEX IX_OutboxMessages_OrgId_Status_CreatedAt (OrgId=? AND Status=?)"], queue);
        Assert.Contains(failed, line => line.Contains("IX_OutboxMessages_OrgId_Status_CreatedAt (OrgId=? AND Status=?)", StringComparison.Ordinal));
    }

    private static TimeSpan Minutes(int n) => TimeSpan.FromMinutes(n);

    private static TimeSpan Hours(int n) => TimeSpan.FromHours(n);

    private static TimeSpan Days(int n) => TimeSpan.FromDays(n);

    private static double[] Expected(int length, params (int Index, double Value)[] values)
    {
        var expected = new double[length];
        foreach (var (index, value) in values)
        {
            expected[index] = value;
        }

        return expected;
    }

    private static List<string[]> Table<T>(IRenderedComponent<T> page, string caption)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        page.FindAll("table")
            .Single(t => t.QuerySelector("caption")?.TextContent == caption)
            .QuerySelectorAll("tbody tr")
            .Select(row => row.Children.Select(cell => cell.TextContent.Trim()).ToArray())
            .ToList();

    private Task<int> AddEventsAsync(params (string OrgId, string Action, DateTimeOffset At)[] events) => WithDbAsync(async db =>
    {
        db.AuditEvents.AddRange(events.Select(e => new AuditEvent { OrgId = e.OrgId, Action = e.Action, At = e.At, ActorKind = "Operator", ActorId = "test" }));
        return await db.SaveChangesAsync();
    });

    private Task<int> AddMessagesAsync(params OutboxMessage[] messages) => WithDbAsync(async db =>
    {
        db.OutboxMessages.AddRange(messages);
        return await db.SaveChangesAsync();
    });

    private static OutboxMessage Message(string orgId, string userId, OutboxStatus status, DateTimeOffset createdAt, int attempts, string? lastError) => new()
    {
        Id = Guid.NewGuid(),
        OrgId = orgId,
        UserId = userId,
        ToAddress = "someone@example.com",
        Status = status,
        CreatedAt = createdAt,
        NextAttemptAt = createdAt,
        Attempts = attempts,
        LastAttemptAt = attempts > 0 ? createdAt.AddHours(2) : null,
        LastError = lastError,
    };
}
