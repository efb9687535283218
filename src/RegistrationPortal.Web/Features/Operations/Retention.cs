using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Operations;

public sealed class RetentionOptions : ICheckedOptions<RetentionOptions>
{
    public const string Section = "Retention";

    /// <summary>Run the pruning job in the host. Off: nothing is pruned unless an operator runs <c>retention prune</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long audit events are kept.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan AuditEvents { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How long finished outbox rows (sent, failed, superseded; their secret part is erased when they finish) are kept after they were queued.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan OutboxMessages { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a code is kept once it is spent (used, invalidated or expired), with the challenges it opened.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan SpentCodes { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Time between two runs of the job.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per write; each batch is one short item in the write queue, so resends never wait long behind it.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    static IValidateOptions<RetentionOptions> ICheckedOptions<RetentionOptions>.Validator { get; } = new RetentionOptionsValidator();
}

[OptionsValidator]
internal sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>;

/// <summary>What is (or would be) pruned: rows per table.</summary>
public sealed record RetentionReport(long AuditEvents, long OutboxMessages, long RegistrationCodes, long RegistrationChallenges, long ResendCounters, long AttemptCounters)
{
    public IEnumerable<(string Name, long Count)> Rows =>
    [
        ("audit_events", AuditEvents),
        ("outbox_messages", OutboxMessages),
        ("registration_codes", RegistrationCodes),
        ("registration_challenges", RegistrationChallenges),
        ("resend_counters", ResendCounters),
        ("attempt_counters", AttemptCounters),
    ];
}

/// <summary>
/// Deletes what is past retention, oldest first, in small batches through the <see cref="WriteQueue"/>. Every
/// predicate seeks an index: audit events on <c>At</c>, outbox rows on <c>(Status, CreatedAt)</c>, codes on
/// <c>ExpiresAt</c>. A code's challenges go with it (they reference it); outbox rows name a code without a key, and
/// a still-queued one whose code is gone is marked superseded by the dispatcher. Per-user resend counters go once
/// they hold no one back (on <c>LastRequestAt</c>): every request writes one, for unknown addresses too, so without
/// this anyone could grow the table without bound. Wrong-code counters go likewise once their window has ended.
/// </summary>
public sealed class RetentionService(
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    IOptionsMonitor<RetentionOptions> options,
    IOptionsMonitor<RegistrationOptions> registration,
    TimeProvider time,
    ILogger<RetentionService> logger)
{
    private static readonly Actor Pruner = Actor.Operator("retention");

    private static readonly OutboxStatus[] Finished = [OutboxStatus.Sent, OutboxStatus.Failed, OutboxStatus.Superseded];

    /// <summary>Counts what <see cref="PruneAsync"/> would delete at <paramref name="now"/> (the dry run).</summary>
    public async Task<RetentionReport> PlanAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        var cutoffs = Cutoffs(now);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var codes = SpentCodes(db, cutoffs);
        return new RetentionReport(
            await db.AuditEvents.LongCountAsync(a => a.At < cutoffs.Audit, ct),
            await FinishedMessages(db, cutoffs.Outbox).LongCountAsync(ct),
            await codes.LongCountAsync(ct),
            await db.RegistrationChallenges.LongCountAsync(c => codes.Any(code => code.Id == c.CodeId), ct),
            await db.ResendThrottles.LongCountAsync(t => t.LastRequestAt < cutoffs.Counters, ct)
                + await db.AdminResendThrottles.LongCountAsync(t => t.LastRequestAt < cutoffs.Counters, ct),
            await db.CodeAttemptCounters.LongCountAsync(c => c.LastFailureAt < cutoffs.Attempts, ct));
    }

    /// <summary>Deletes everything past retention at <paramref name="now"/>, batch by batch; returns what it deleted.</summary>
    public async Task<RetentionReport> PruneAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        var cutoffs = Cutoffs(now);
        var batch = options.CurrentValue.BatchSize;

        var (audit, _) = await RepeatAsync(
            async () => (await writes.ExecuteAsync(db => db.AuditEvents.Where(a => a.At < cutoffs.Audit).OrderBy(a => a.At).Take(batch).ExecuteDeleteAsync()), 0),
            batch,
            ct);
        // One status at a time: each is one range of the (Status, CreatedAt) index, read in order with no sort.
        long outbox = 0;
        foreach (var status in Finished)
        {
            outbox += (await RepeatAsync(
                async () => (await writes.ExecuteAsync(db => db.OutboxMessages.Where(m => m.Status == status && m.CreatedAt < cutoffs.Outbox).OrderBy(m => m.CreatedAt).Take(batch).ExecuteDeleteAsync()), 0),
                batch,
                ct)).Rows;
        }
        var (codes, challenges) = await RepeatAsync(
            () => writes.ExecuteAsync(async db =>
            {
                var ids = await SpentCodes(db, cutoffs).OrderBy(c => c.ExpiresAt).Select(c => c.Id).Take(batch).ToListAsync();
                if (ids.Count == 0)
                {
                    return (0, 0);
                }

                var opened = await db.RegistrationChallenges.Where(c => ids.Contains(c.CodeId)).ExecuteDeleteAsync();
                return (await db.RegistrationCodes.Where(c => ids.Contains(c.Id)).ExecuteDeleteAsync(), opened);
            }),
            batch,
            ct);

        // The two kinds of counters change while they are pruned (a resend, a wrong code refreshes its row): the row itself
        // must still be past retention when it is deleted, not only when the batch was picked. On PostgreSQL a row that
        // another transaction refreshed while this one waited for it is checked again against the first condition, and
        // kept; "in the batch picked" alone was true of it still.
        var counters = await PruneCountersAsync<ResendThrottle>(cutoffs.Counters, batch, ct)
            + await PruneCountersAsync<AdminResendThrottle>(cutoffs.Counters, batch, ct);

        var (attempts, _) = await RepeatAsync(
            async () => (await writes.ExecuteAsync(db => db.CodeAttemptCounters
                .Where(c => c.LastFailureAt < cutoffs.Attempts
                    && db.CodeAttemptCounters.Where(o => o.LastFailureAt < cutoffs.Attempts).OrderBy(o => o.LastFailureAt).Take(batch)
                        .Any(o => o.OrgId == c.OrgId && o.NormalizedUsername == c.NormalizedUsername && o.ClientAddress == c.ClientAddress))
                .ExecuteDeleteAsync()), 0),
            batch,
            ct);

        var report = new RetentionReport(audit, outbox, codes, challenges, counters, attempts);
        if (report.Rows.Any(r => r.Count > 0))
        {
            var details = string.Join(", ", report.Rows.Select(r => $"{r.Name} {r.Count}"));
            await writes.ExecuteAsync(db =>
            {
                db.Audit(time.GetUtcNow(), null, AuditActions.RetentionPruned, Pruner, null, $"older than the cutoffs at {now:O}: {details}");
                return Task.FromResult(true);
            });
            logger.LogInformation(
                "Retention pruned {AuditEvents} audit events, {OutboxMessages} outbox rows, {Codes} spent codes, {Challenges} challenges, {Counters} resend counters and {Attempts} wrong-code counters",
                audit, outbox, codes, challenges, counters, attempts);
        }

        return report;
    }

    /// <summary>Deletes one table of resend counters idle since <paramref name="cutoff"/>, batch by batch (the public doors' or the admins').</summary>
    private async Task<long> PruneCountersAsync<T>(DateTimeOffset cutoff, int batch, CancellationToken ct)
        where T : ResendCounter
    {
        var (rows, _) = await RepeatAsync(
            async () => (await writes.ExecuteAsync(db => db.Set<T>()
                .Where(t => t.LastRequestAt < cutoff
                    && db.Set<T>().Where(o => o.LastRequestAt < cutoff).OrderBy(o => o.LastRequestAt).Take(batch)
                        .Any(o => o.OrgId == t.OrgId && o.NormalizedUsername == t.NormalizedUsername))
                .ExecuteDeleteAsync()), 0),
            batch,
            ct);
        return rows;
    }

    /// <summary>Runs one batch after another until a batch finds fewer rows than it may take; sums (rows, dependent rows).</summary>
    private static async Task<(long Rows, long Dependents)> RepeatAsync(Func<Task<(int Rows, int Dependents)>> batchOnce, int batchSize, CancellationToken ct)
    {
        long rows = 0;
        long dependents = 0;
        while (!ct.IsCancellationRequested)
        {
            var (deleted, alongside) = await batchOnce();
            rows += deleted;
            dependents += alongside;
            if (deleted < batchSize)
            {
                break;
            }
        }

        return (rows, dependents);
    }

    // Spelled as equalities (not a list's Contains) so SQLite seeks the (Status, CreatedAt) index for each status.
    private static IQueryable<OutboxMessage> FinishedMessages(PortalDbContext db, DateTimeOffset cutoff) =>
        db.OutboxMessages.Where(m => (m.Status == OutboxStatus.Sent || m.Status == OutboxStatus.Failed || m.Status == OutboxStatus.Superseded) && m.CreatedAt < cutoff);

    /// <summary>
    /// Codes spent before the cutoff: used, invalidated or expired then. Every code is spent by its expiry, so only codes
    /// that expire before <c>cutoff + CodeLifetime</c> can qualify, which bounds the index range the query reads. (A code
    /// issued under a longer lifetime than today's is caught once its expiry is that close.)
    /// </summary>
    private IQueryable<RegistrationCode> SpentCodes(PortalDbContext db, Cutoffs cutoffs)
    {
        var horizon = cutoffs.Codes + registration.CurrentValue.CodeLifetime;
        var cutoff = cutoffs.Codes;
        return db.RegistrationCodes.Where(c => c.ExpiresAt < horizon && (c.ExpiresAt < cutoff || c.UsedAt < cutoff || c.InvalidatedAt < cutoff));
    }

    private Cutoffs Cutoffs(DateTimeOffset now)
    {
        var settings = options.CurrentValue;

        var counters = ResendThrottling.IdleBefore(now, registration.CurrentValue);
        // A wrong-code counter whose last failure is older than the window has a window that ended: it holds no one back.
        var attempts = now - registration.CurrentValue.FailedAttemptWindow;
        return new Cutoffs(now - settings.AuditEvents, now - settings.OutboxMessages, now - settings.SpentCodes, counters, attempts);
    }
}

internal readonly record struct Cutoffs(DateTimeOffset Audit, DateTimeOffset Outbox, DateTimeOffset Codes, DateTimeOffset Counters, DateTimeOffset Attempts);

/// <summary>Runs <see cref="RetentionService.PruneAsync"/> every <see cref="RetentionOptions.Interval"/> (first soon after start).</summary>
public sealed class RetentionJob(RetentionService retention, TimeProvider time, IOptionsMonitor<RetentionOptions> options, ILogger<RetentionJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }

        try
        {
            // Not at the very start: the host has warmer things to do in its first minute.
            await Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken);
            using var timer = new PeriodicTimer(options.CurrentValue.Interval, time);
            do
            {
                try
                {
                    await retention.PruneAsync(time.GetUtcNow(), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Retention pruning failed; trying again at the next run");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}

public static class RetentionSetup
{
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<RetentionOptions>(RetentionOptions.Section);
        builder.Services.AddSingleton<RetentionService>();
        builder.Services.AddHostedService<RetentionJob>();
        return builder;
    }
}
