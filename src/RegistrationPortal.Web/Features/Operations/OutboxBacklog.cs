using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Web.Features.Operations;

public sealed record OutboxBacklogSnapshot(long Pending, TimeSpan OldestPendingAge, DateTimeOffset TakenAt);

/// <summary>
/// How many messages wait to be sent and how long the oldest has waited, for the backlog gauges. Two seeks on the
/// (Status, CreatedAt) index, and the answer is kept for <see cref="TelemetryOptions.BacklogCacheDuration"/>, so a
/// scrape every second costs at most one pair of queries per cache period, never a table scan.
/// </summary>
public sealed class OutboxBacklog(IDbContextFactory<PortalDbContext> contexts, TimeProvider time, IOptionsMonitor<TelemetryOptions> options, ILogger<OutboxBacklog> logger)
{
    private readonly Lock _gate = new();
    private OutboxBacklogSnapshot? _last;

    public OutboxBacklogSnapshot Read()
    {
        var now = time.GetUtcNow();
        var cached = Volatile.Read(ref _last);
        if (cached is not null && now - cached.TakenAt < options.CurrentValue.BacklogCacheDuration)
        {
            return cached;
        }

        lock (_gate)
        {
            // Another scrape may have refreshed it while this one waited.
            cached = _last;
            if (cached is not null && now - cached.TakenAt < options.CurrentValue.BacklogCacheDuration)
            {
                return cached;
            }

            try
            {
                using var db = contexts.CreateDbContext();
                var pending = db.OutboxMessages.LongCount(m => m.Status == OutboxStatus.Pending);
                var oldest = db.OutboxMessages
                    .Where(m => m.Status == OutboxStatus.Pending)
                    .OrderBy(m => m.CreatedAt)
                    .Select(m => (DateTimeOffset?)m.CreatedAt)
                    .FirstOrDefault();
                var age = oldest is { } created && created < now ? now - created : TimeSpan.Zero;
                cached = new OutboxBacklogSnapshot(pending, age, now);
            }
            catch (Exception ex)
            {
                // A scrape must not fail because the database is busy; the last figures stand until the next try.
                logger.LogWarning(ex, "Reading the outbox backlog failed");
                cached ??= new OutboxBacklogSnapshot(0, TimeSpan.Zero, now);
            }

            Volatile.Write(ref _last, cached);
            return cached;
        }
    }
}
