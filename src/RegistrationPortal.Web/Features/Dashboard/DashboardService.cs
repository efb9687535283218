using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Web.Features.Dashboard;

/// <summary>Pending users by how long ago they were invited (measured from <see cref="DashboardSummary.TakenAt"/>).</summary>
public sealed record PendingByAge(int UnderADay, int UnderAWeek, int UnderAMonth, int Older)
{
    public int Total => UnderADay + UnderAWeek + UnderAMonth + Older;
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
    int FailureCount,
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
public sealed class DashboardService(IDbContextFactory<PortalDbContext> contexts, TimeProvider time)
{
    public const int ChartDays = 30;

    /// <summary>How many failures the dashboard lists; the rest are counted, and the Users page shows every user.</summary>
    public const int FailuresListed = 10;

    public async Task<DashboardSummary> ReadAsync(AdminScope scope, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var orgId = scope.OrgId;

        var dayAgo = now.AddDays(-1);
        var weekAgo = now.AddDays(-7);
        var monthAgo = now.AddDays(-30);
        var pending = new PendingByAge(
            await PendingCreated(db, orgId, dayAgo, DateTimeOffset.MaxValue).CountAsync(ct),
            await PendingCreated(db, orgId, weekAgo, dayAgo).CountAsync(ct),
            await PendingCreated(db, orgId, monthAgo, weekAgo).CountAsync(ct),
            await PendingCreated(db, orgId, DateTimeOffset.MinValue, monthAgo).CountAsync(ct));

        var days = new List<DayActivity>(ChartDays);
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        for (var back = ChartDays - 1; back >= 0; back--)
        {
            var from = today.AddDays(-back);
            var to = from.AddDays(1);
            days.Add(new DayActivity(
                DateOnly.FromDateTime(from.UtcDateTime),
                await Events(db, orgId, AuditActions.CodeSent, from, to).CountAsync(ct),
                await Events(db, orgId, AuditActions.RegistrationCompleted, from, to).CountAsync(ct)));
        }

        var failures = AwaitingAttention(db, orgId);
        var listed = await failures
            .OrderByDescending(f => f.Message.CreatedAt)
            .Take(FailuresListed)
            .Select(f => new DeliveryFailure(f.User.Id, f.User.Username, f.Message.LastAttemptAt ?? f.Message.CreatedAt, f.Message.Attempts, f.Message.LastError))
            .ToListAsync(ct);
        var failureCount = listed.Count < FailuresListed ? listed.Count : await failures.CountAsync(ct);

        var queued = Queued(db, orgId);
        var counts = await queued
            .GroupBy(m => m.Status)
            .Select(g => new { Queued = g.Count(), Retrying = g.Count(m => m.Attempts > 0) })
            .FirstOrDefaultAsync(ct);
        var oldest = await queued.OrderBy(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefaultAsync(ct);
        var outbox = new OutboxQueue(counts?.Queued ?? 0, counts?.Retrying ?? 0, oldest);

        return new DashboardSummary(now, pending, days, listed, failureCount, outbox);
    }

    /// <summary>The organization's pending users created in [<paramref name="from"/>, <paramref name="to"/>): one range of the partial index of pending users by creation.</summary>
    internal static IQueryable<OrgUser> PendingCreated(PortalDbContext db, string orgId, DateTimeOffset from, DateTimeOffset to) =>
        db.OrgUsers.AsNoTracking().Where(UserStatusIndexes.Pending).Where(u => u.OrgId == orgId && u.CreatedAt >= from && u.CreatedAt < to);

    /// <summary>The organization's audit events of one action in [<paramref name="from"/>, <paramref name="to"/>): one range of the (OrgId, Action, At) index.</summary>
    internal static IQueryable<AuditEvent> Events(PortalDbContext db, string orgId, string action, DateTimeOffset from, DateTimeOffset to) =>
        db.AuditEvents.AsNoTracking().Where(a => a.OrgId == orgId && a.Action == action && a.At >= from && a.At < to);

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

    internal sealed class FailedMessage
    {
        public required OutboxMessage Message { get; init; }

        public required OrgUser User { get; init; }
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
