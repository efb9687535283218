using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Dashboard;

/// <summary>A count that stopped at a limit: <see cref="MoreThan"/> says the real figure is above <see cref="Value"/>.</summary>
public readonly record struct BoundedCount(int Value, bool MoreThan = false)
{
    public static BoundedCount operator +(BoundedCount a, BoundedCount b) => new(a.Value + b.Value, a.MoreThan || b.MoreThan);

    /// <summary>"1,234", or "more than 100,000".</summary>
    public override string ToString() => (MoreThan ? "more than " : string.Empty) + Value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"1,234", or "100,000+" where room is short.</summary>
    public string ToShortString() => Value.ToString("N0", CultureInfo.InvariantCulture) + (MoreThan ? "+" : string.Empty);
}

/// <summary>Pending users by how long ago they were invited (measured from <see cref="DashboardSummary.TakenAt"/>).</summary>
public sealed record PendingByAge(BoundedCount UnderADay, BoundedCount UnderAWeek, BoundedCount UnderAMonth, BoundedCount Older)
{
    public BoundedCount Total => UnderADay + UnderAWeek + UnderAMonth + Older;
}

/// <summary>One UTC day of the activity chart.</summary>
public sealed record DayActivity(DateOnly Day, int CodesSent, int RegistrationsCompleted);

/// <summary>A pending user whose latest email could not be delivered: the admin should check the address and resend.</summary>
public sealed record DeliveryFailure(string UserId, string Email, DateTimeOffset FailedAt, int Attempts, string? LastError);

/// <summary>The organization's mail waiting for the dispatcher.</summary>
public sealed record OutboxQueue(int Queued, int Retrying, DateTimeOffset? OldestQueuedAt);

public sealed record DashboardSummary(
    DateTimeOffset TakenAt,
    PendingByAge Pending,
    IReadOnlyList<DayActivity> Days,
    IReadOnlyList<DeliveryFailure> Failures,
    BoundedCount FailureCount,
    OutboxQueue Outbox)
{
    public int CodesSent => Days.Sum(d => d.CodesSent);

    public int RegistrationsCompleted => Days.Sum(d => d.RegistrationsCompleted);
}

/// <summary>
/// The figures of an organization's dashboard. Every figure is a count over an index range, never rows loaded and
/// counted here: pending users by age over the partial index of pending users by (OrgId, CreatedAt); codes sent and
/// registrations completed per day over the audit index (OrgId, Action, At), because no index of the codes or users
/// serves an organization-and-date range (codes are indexed by user, registrations not by date). The chart therefore
/// reaches back only as far as audit retention keeps events.
/// </summary>
/// <remarks>
/// SQLite counts by stepping through the index, about a tenth of a microsecond per entry, so a count of a million
/// pending users alone would cost most of the page's budget. Counts that grow with the organization stop at a limit
/// and say "more than", as the Users page's pager does.
/// </remarks>
public sealed class DashboardService(IDbContextFactory<PortalDbContext> contexts, TimeProvider time) : IDisposable
{
    public const int ChartDays = 30;

    /// <summary>
    /// How long after a UTC day ends its counts are taken as final: an event stamped just before midnight may commit
    /// just after it.
    /// </summary>
    public static readonly TimeSpan DaySettles = TimeSpan.FromMinutes(5);

    /// <summary>Settled days kept, one entry per organization and day: 30 days of 10,000 organizations.</summary>
    private const int SettledDaysKept = 300_000;

    /// <summary>
    /// Per organization and UTC day, the chart's counts of days that have ended. Audit events are written with the time
    /// of writing, so an ended day's counts never change (until retention prunes its events: the chart then goes on
    /// showing what happened), and counting them again on every visit would be most of the dashboard's cost at a million
    /// users. Each host keeps its own; they agree because the counts are final.
    /// </summary>
    private readonly MemoryCache settledDays = new(new MemoryCacheOptions { SizeLimit = SettledDaysKept });

    /// <summary>Where each pending-by-age bucket stops counting.</summary>
    public const int PendingCountLimit = 100_000;

    /// <summary>How many failures the dashboard lists; the Users page shows every user.</summary>
    public const int FailuresListed = 10;

    /// <summary>
    /// Where the failure count stops. Each failure costs a few lookups (is it the user's latest message, is the user
    /// still pending), so a mass bounce is reported as "more than 100" rather than counted one by one.
    /// </summary>
    public const int FailureCountLimit = 100;

    public async Task<DashboardSummary> ReadAsync(AdminScope scope, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var pending = await ReadPendingAsync(db, scope.OrgId, now, PendingCountLimit, ct);
        var days = await ReadDaysCachedAsync(db, scope.OrgId, now, ct);
        var (failures, failureCount) = await ReadFailuresAsync(db, scope.OrgId, ct);
        var outbox = await ReadOutboxAsync(db, scope.OrgId, ct);
        return new DashboardSummary(now, pending, days, failures, failureCount, outbox);
    }

    internal static async Task<PendingByAge> ReadPendingAsync(PortalDbContext db, string orgId, DateTimeOffset now, int limit, CancellationToken ct)
    {
        var dayAgo = now.AddDays(-1);
        var weekAgo = now.AddDays(-7);
        var monthAgo = now.AddDays(-30);
        return new PendingByAge(
            await CountAsync(PendingCreated(db, orgId, dayAgo, DateTimeOffset.MaxValue), limit, ct),
            await CountAsync(PendingCreated(db, orgId, weekAgo, dayAgo), limit, ct),
            await CountAsync(PendingCreated(db, orgId, monthAgo, weekAgo), limit, ct),
            await CountAsync(PendingCreated(db, orgId, DateTimeOffset.MinValue, monthAgo), limit, ct));
    }

    public void Dispose() => settledDays.Dispose();

    /// <summary>The last <see cref="ChartDays"/> UTC days, today included, oldest first.</summary>
    internal static async Task<IReadOnlyList<DayActivity>> ReadDaysAsync(PortalDbContext db, string orgId, DateTimeOffset now, CancellationToken ct)
    {
        var first = ChartStart(now);
        return await CountDaysAsync(db, orgId, first, ChartDays, ct);
    }

    /// <summary>As <see cref="ReadDaysAsync"/>, counting only the days from the first one not yet settled and remembered.</summary>
    private async Task<IReadOnlyList<DayActivity>> ReadDaysCachedAsync(PortalDbContext db, string orgId, DateTimeOffset now, CancellationToken ct)
    {
        var first = ChartStart(now);
        var days = new DayActivity[ChartDays];
        var known = 0;
        while (known < ChartDays && settledDays.TryGetValue((orgId, DateOnly.FromDateTime(first.AddDays(known).UtcDateTime)), out DayActivity? day))
        {
            days[known++] = day!;
        }

        var counted = await CountDaysAsync(db, orgId, first.AddDays(known), ChartDays - known, ct);
        for (var i = 0; i < counted.Count; i++)
        {
            var day = counted[i];
            days[known + i] = day;
            var end = new DateTimeOffset(day.Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1);
            if (now >= end + DaySettles)
            {
                // Kept until the day leaves the chart.
                settledDays.Set((orgId, day.Day), day, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = end.AddDays(ChartDays) });
            }
        }

        return days;
    }

    private static DateTimeOffset ChartStart(DateTimeOffset now) =>
        new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-(ChartDays - 1));

    private static async Task<IReadOnlyList<DayActivity>> CountDaysAsync(PortalDbContext db, string orgId, DateTimeOffset first, int dayCount, CancellationToken ct)
    {
        var counts = await DayCounts(db, orgId, first, dayCount).ToListAsync(ct);
        return Enumerable.Range(0, dayCount)
            .Select(day => new DayActivity(
                DateOnly.FromDateTime(first.AddDays(day).UtcDateTime),
                counts.Where(c => c.Day == day && c.Action == AuditActions.CodeSent).Sum(c => c.Count),
                counts.Where(c => c.Day == day && c.Action == AuditActions.RegistrationCompleted).Sum(c => c.Count)))
            .ToList();
    }

    /// <summary>The newest <see cref="FailuresListed"/> failures awaiting attention, and how many there are.</summary>
    internal static async Task<(IReadOnlyList<DeliveryFailure> Listed, BoundedCount Count)> ReadFailuresAsync(PortalDbContext db, string orgId, CancellationToken ct)
    {
        var failures = AwaitingAttention(db, orgId);
        var listed = await failures
            .OrderByDescending(f => f.Message.CreatedAt)
            .Take(FailuresListed)
            .Select(f => new DeliveryFailure(f.User.Id, f.User.Username, f.Message.LastAttemptAt ?? f.Message.CreatedAt, f.Message.Attempts, f.Message.LastError))
            .ToListAsync(ct);
        return (listed, listed.Count < FailuresListed ? new BoundedCount(listed.Count) : await CountAsync(failures, FailureCountLimit, ct));
    }

    internal static async Task<OutboxQueue> ReadOutboxAsync(PortalDbContext db, string orgId, CancellationToken ct)
    {
        var queued = Queued(db, orgId);
        var counts = await queued
            .GroupBy(m => m.Status)
            .Select(g => new { Queued = g.Count(), Retrying = g.Count(m => m.Attempts > 0) })
            .FirstOrDefaultAsync(ct);
        var oldest = await queued.OrderBy(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefaultAsync(ct);
        return new OutboxQueue(counts?.Queued ?? 0, counts?.Retrying ?? 0, oldest);
    }

    /// <summary>The organization's pending users created in [<paramref name="from"/>, <paramref name="to"/>): one range of the partial index of pending users by creation.</summary>
    internal static IQueryable<OrgUser> PendingCreated(PortalDbContext db, string orgId, DateTimeOffset from, DateTimeOffset to) =>
        db.OrgUsers.AsNoTracking().Where(UserStatusIndexes.Pending).Where(u => u.OrgId == orgId && u.CreatedAt >= from && u.CreatedAt < to);

    /// <summary>
    /// Codes sent and registrations completed per day from <paramref name="first"/> on, in one statement: a UNION ALL
    /// of one (OrgId, Action, At) index range per day and action, each grouped by action in index order. One
    /// statement, because sixty separate counts spend more on their round trips than SQLite spends counting.
    /// </summary>
    internal static IQueryable<DayCount> DayCounts(PortalDbContext db, string orgId, DateTimeOffset first, int dayCount = ChartDays)
    {
        IQueryable<DayCount>? all = null;
        for (var day = 0; day < dayCount; day++)
        {
            var from = first.AddDays(day);
            var to = from.AddDays(1);
            var index = day;
            var counts = db.AuditEvents.AsNoTracking()
                .Where(a => a.OrgId == orgId && (a.Action == AuditActions.CodeSent || a.Action == AuditActions.RegistrationCompleted) && a.At >= from && a.At < to)
                .GroupBy(a => a.Action)
                .Select(g => new DayCount { Day = index, Action = g.Key, Count = g.Count() });
            all = all is null ? counts : all.Concat(counts);
        }

        return all!;
    }

    /// <summary>
    /// Failed messages of the organization that are their user's latest message, while the user is still pending: a
    /// resend (queued or sent since) or a registration or deactivation takes the failure off the list.
    /// </summary>
    internal static IQueryable<FailedMessage> AwaitingAttention(PortalDbContext db, string orgId) =>
        db.OutboxMessages.AsNoTracking()
            .Where(m => m.Status == OutboxStatus.Failed && m.OrgId == orgId)
            .Where(m => !db.OutboxMessages.Any(later => later.UserId == m.UserId && later.CreatedAt > m.CreatedAt))
            .Join(db.OrgUsers.AsNoTracking().Where(UserStatusIndexes.Pending), m => m.UserId, u => u.Id, (m, u) => new FailedMessage { Message = m, User = u })
            .Where(f => f.User.OrgId == orgId);

    /// <summary>The organization's messages waiting to be sent (first tries and retries).</summary>
    internal static IQueryable<OutboxMessage> Queued(PortalDbContext db, string orgId) =>
        db.OutboxMessages.AsNoTracking().Where(m => m.Status == OutboxStatus.Pending && m.OrgId == orgId);

    /// <summary>Counts at most <paramref name="limit"/> rows; one more says "more than".</summary>
    private static async Task<BoundedCount> CountAsync<T>(IQueryable<T> rows, int limit, CancellationToken ct)
    {
        var counted = await rows.Take(limit + 1).CountAsync(ct);
        return counted > limit ? new BoundedCount(limit, MoreThan: true) : new BoundedCount(counted);
    }

    internal sealed class FailedMessage
    {
        public required OutboxMessage Message { get; init; }

        public required OrgUser User { get; init; }
    }

    internal sealed class DayCount
    {
        public int Day { get; init; }

        public required string Action { get; init; }

        public int Count { get; init; }
    }
}

public static class DashboardSetup
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DashboardService>();
        return builder;
    }
}
