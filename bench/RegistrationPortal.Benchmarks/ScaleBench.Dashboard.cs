using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// The dashboard of the small and the large organization of the scale phase, timed whole and part by part, after
/// giving each organization a month of activity in proportion to its size.
/// </summary>
internal static partial class ScaleBench
{
    /// <summary>Per 1,000 users of an organization: codes sent and registrations completed per day, failed and queued emails.</summary>
    private const int CodesPerDayPerThousand = 3;
    private const int RegistrationsPerDayPerThousand = 1;
    private const int FailedPerThousand = 1;
    private const int QueuedPerThousand = 1;

    /// <summary>A bulk resend to this share of the organization, ten days ago, on top of the daily codes.</summary>
    private const int SpikeDivisor = 20;

    private static readonly Dictionary<string, DashboardSeed> Seeded = new(StringComparer.Ordinal);

    private sealed record DashboardSeed(int CodesSent, int Registrations, int Failed, int Queued);

    /// <summary>
    /// A month of audit events (codes sent, registrations completed), failed mail of pending users and queued mail,
    /// in proportion to the organization's size: for 1,000,000 users that is 140,000 events, 1,000 failures, 1,000 queued.
    /// </summary>
    private static async Task SeedDashboardDataAsync(IDbContextFactory<PortalDbContext> contexts, SeededOrg org, CancellationToken ct)
    {
        var perThousand = Math.Max(1, org.Users / 1_000);
        var codesPerDay = CodesPerDayPerThousand * perThousand;
        var registrationsPerDay = RegistrationsPerDayPerThousand * perThousand;
        var spike = org.Users / SpikeDivisor;
        var now = org.Now;
        var monthAgo = now.AddDays(-DashboardService.ChartDays + 1);

        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var toBinary = new DateTimeOffsetToBinaryConverter();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await using var insert = db.Database.GetDbConnection().CreateCommand();
            insert.Transaction = tx.GetDbTransaction();
            insert.CommandText = "INSERT INTO AuditEvents (At, OrgId, Action, ActorKind, ActorId) VALUES ($at, $org, $action, 'Operator', 'bench')";
            var at = Parameter(insert, "$at");
            var action = Parameter(insert, "$action");
            Parameter(insert, "$org").Value = org.OrgId;
            insert.Prepare();

            // Spread evenly from 29 days ago to now: every day of the chart has its share, today a part of one.
            async Task SpreadAsync(string name, int total, DateTimeOffset from, TimeSpan span)
            {
                action.Value = name;
                for (var i = 0; i < total; i++)
                {
                    at.Value = toBinary.ConvertToProvider(from + TimeSpan.FromTicks(span.Ticks / total * i));
                    await insert.ExecuteNonQueryAsync(ct);
                }
            }

            await SpreadAsync(AuditActions.CodeSent, codesPerDay * (DashboardService.ChartDays - 1), monthAgo, now - monthAgo);
            await SpreadAsync(AuditActions.CodeSent, spike, now.AddDays(-10), TimeSpan.FromHours(1));
            await SpreadAsync(AuditActions.RegistrationCompleted, registrationsPerDay * (DashboardService.ChartDays - 1), monthAgo, now - monthAgo);
            await tx.CommitAsync(ct);
        }

        var failed = FailedPerThousand * perThousand;
        var queued = QueuedPerThousand * perThousand;
        var users = await db.OrgUsers.AsNoTracking().Where(UserStatusIndexes.Pending).Where(u => u.OrgId == org.OrgId)
            .OrderBy(u => u.CreatedAt).Select(u => new { u.Id, u.Username }).Take(failed + queued).ToListAsync(ct);
        db.OutboxMessages.AddRange(users.Select((u, i) => new OutboxMessage
        {
            Id = Guid.NewGuid(),
            OrgId = org.OrgId,
            UserId = u.Id,
            ToAddress = u.Username,
            Status = i < failed ? OutboxStatus.Failed : OutboxStatus.Pending,
            CreatedAt = i < failed ? now.AddHours(-i % (24 * 25)) : now.AddMinutes(-(i - failed) % 60),
            NextAttemptAt = now,
            Attempts = i < failed ? 8 : i % 3,
            LastAttemptAt = i < failed ? now.AddHours(-i % (24 * 25)).AddMinutes(30) : null,
            LastError = i < failed ? "SmtpCommandException: 550 5.1.1 mailbox unavailable" : null,
        }));
        await db.SaveChangesAsync(ct);

        Seeded[org.OrgId] = new DashboardSeed(codesPerDay * (DashboardService.ChartDays - 1) + spike, registrationsPerDay * (DashboardService.ChartDays - 1), failed, queued);
    }

    /// <summary>Times the dashboard of both organizations; false when a figure is not what was seeded.</summary>
    private static async Task<bool> TimeDashboardAsync(Settings settings, IServiceProvider services, IDbContextFactory<PortalDbContext> contexts, SeededOrg small, SeededOrg large, string note, List<string[]> rows, CancellationToken ct)
    {
        var dashboard = services.GetRequiredService<DashboardService>();
        var parts = new (string Name, Func<PortalDbContext, SeededOrg, Task> Run)[]
        {
            ($"pending users by age (4 counts to {DashboardService.PendingCountLimit:N0}){note}", (db, o) => DashboardService.ReadPendingAsync(db, o.OrgId, o.Now, DashboardService.PendingCountLimit, ct)),
            ($"chart: 30 days x 2 series (one statement){note}", (db, o) => DashboardService.ReadDaysAsync(db, o.OrgId, o.Now, ct)),
            ($"failures awaiting attention (10 + count to {DashboardService.FailureCountLimit}){note}", (db, o) => DashboardService.ReadFailuresAsync(db, o.OrgId, ct)),
            ($"outbox queue (count + oldest){note}", (db, o) => DashboardService.ReadOutboxAsync(db, o.OrgId, ct)),
        };

        // A first visit: a service that has not yet remembered the ended days, so the whole month is counted.
        var time = services.GetRequiredService<TimeProvider>();
        async Task FirstVisitAsync(SeededOrg org)
        {
            using var fresh = new DashboardService(contexts, time);
            await fresh.ReadAsync(org.Scope, ct);
        }

        var smallFirst = await MedianAsync(settings, () => FirstVisitAsync(small));
        var largeFirst = await MedianAsync(settings, () => FirstVisitAsync(large));
        rows.Add([$"whole dashboard, first visit (month counted){note}", $"{smallFirst:0.00}", $"{largeFirst:0.00}", $"{largeFirst / smallFirst:0.0}x", largeFirst < 50 ? "met" : "MISSED"]);
        var smallWhole = await MedianAsync(settings, () => dashboard.ReadAsync(small.Scope, ct));
        var largeWhole = await MedianAsync(settings, () => dashboard.ReadAsync(large.Scope, ct));
        rows.Add([$"whole dashboard, later visits (ended days remembered){note}", $"{smallWhole:0.00}", $"{largeWhole:0.00}", $"{largeWhole / smallWhole:0.0}x", largeWhole < 50 ? "met" : "MISSED"]);
        foreach (var (name, run) in parts)
        {
            var smallMs = await MedianAsync(settings, async () =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                await run(db, small);
            });
            var largeMs = await MedianAsync(settings, async () =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                await run(db, large);
            });
            rows.Add([name, $"{smallMs:0.00}", $"{largeMs:0.00}", $"{largeMs / smallMs:0.0}x", ""]);
        }

        if (settings.Plans)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            Console.WriteLine("Dashboard plans:");
            var plans = new (string Name, Func<Task<IReadOnlyList<string>>> Explain)[]
            {
                ("pending", () => QueryPlans.ExplainAsync(DashboardService.PendingCreated(db, large.OrgId, large.Now.AddDays(-7), large.Now.AddDays(-1)).Take(DashboardService.PendingCountLimit + 1), ct)),
                ("chart", () => QueryPlans.ExplainAsync(DashboardService.DayCounts(db, large.OrgId, large.Now.AddDays(-DashboardService.ChartDays)), ct)),
                ("failures", () => QueryPlans.ExplainAsync(DashboardService.AwaitingAttention(db, large.OrgId).OrderByDescending(f => f.Message.CreatedAt).Take(DashboardService.FailuresListed), ct)),
                ("queued", () => QueryPlans.ExplainAsync(DashboardService.Queued(db, large.OrgId), ct)),
            };
            foreach (var (name, explain) in plans)
            {
                foreach (var line in (await explain()).Distinct())
                {
                    Console.WriteLine($"  {name}: {line}");
                }
            }
        }

        var ok = true;
        foreach (var org in new[] { small, large })
        {
            var summary = await dashboard.ReadAsync(org.Scope, ct);
            var seeded = Seeded[org.OrgId];

            // The first chart day starts at midnight, the seeded month a little later; the spike is inside it.
            var failures = seeded.Failed > DashboardService.FailureCountLimit
                ? new BoundedCount(DashboardService.FailureCountLimit, MoreThan: true)
                : new BoundedCount(seeded.Failed);
            var right = summary.CodesSent == seeded.CodesSent && summary.RegistrationsCompleted == seeded.Registrations
                && summary.FailureCount == failures && summary.Outbox.Queued == seeded.Queued && summary.Pending.Total.Value > 0;
            if (!right)
            {
                Console.WriteLine($"!!! Dashboard of {org.Users:N0} users: {summary.CodesSent} codes, {summary.RegistrationsCompleted} registrations, {summary.FailureCount} failures, {summary.Outbox.Queued} queued; seeded {seeded}");
            }

            ok &= right;
        }

        return ok;
    }

    private static void ReportDashboard(Settings settings, Report report, List<string[]> rows)
    {
        report.Line();
        report.Table(["Dashboard (median ms)", $"{settings.SearchSmall:N0}", $"{settings.SearchUsers:N0}", "ratio", "goal < 50 ms"], rows);
        report.Line($"Median of {settings.SearchRuns} runs after {Math.Max(2, settings.SearchRuns / 3)} warm-up runs. Each organization has, per 1,000 users, {CodesPerDayPerThousand} codes sent and "
            + $"{RegistrationsPerDayPerThousand} registration a day for a month, a bulk resend to 1/{SpikeDivisor} of it ten days ago, {FailedPerThousand} failed and {QueuedPerThousand} queued email.");
    }

    private static async Task<double> MedianAsync(Settings settings, Func<Task> run)
    {
        for (var i = 0; i < Math.Max(2, settings.SearchRuns / 3); i++)
        {
            await run();
        }

        var times = new List<double>(settings.SearchRuns);
        for (var i = 0; i < settings.SearchRuns; i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private static System.Data.Common.DbParameter Parameter(System.Data.Common.DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
