using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

public enum BulkResendState
{
    Running,
    Finished,

    /// <summary>Stopped early: by the admin, or because the host is shutting down.</summary>
    Stopped,

    /// <summary>Ended by an error; the counts say how far it got.</summary>
    Failed,
}

/// <summary>Where a bulk resend is: an immutable snapshot the page renders.</summary>
public sealed record BulkResendProgress(
    string JobId,
    string Target,
    BulkResendState State,
    int Total,
    int Processed,
    int Sent,
    int Throttled,
    int AlreadyRegistered,
    int Deactivated,
    int NotFound,
    int Failed,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string? Error = null)
{
    /// <summary>How many of the users got no code (throttled, already registered, deactivated, not found) are listed.</summary>
    public const int ListedLimit = 50;

    public bool IsRunning => State == BulkResendState.Running;

    /// <summary>
    /// The first <see cref="ListedLimit"/> users who got no code, in the order they were handled; the audit trail has
    /// every one of them.
    /// </summary>
    public IReadOnlyList<UserResendOutcome> NotSent { get; init; } = [];

    /// <summary>The users who got no code, listed or not (a failed batch's users are counted in <see cref="Failed"/>).</summary>
    public int NotSentCount => Throttled + AlreadyRegistered + Deactivated + NotFound;

    /// <summary>0 to 100, for a progress bar.</summary>
    public double Percent => State == BulkResendState.Finished || Total == 0 ? 100 : Math.Min(100, 100.0 * Processed / Total);

    public string Counts =>
        $"{Sent:N0} sent, {Throttled:N0} throttled, {AlreadyRegistered:N0} already registered, {Deactivated:N0} deactivated, {NotFound:N0} not found"
        + (Failed > 0 ? $", {Failed:N0} failed" : "");
}

/// <summary>
/// Bulk resends running in the background, one per (organization, admin): a job belongs to the host, not to the page
/// that started it, so it goes on when the admin navigates away and the page finds it again on return. Each user's
/// resend goes through <see cref="RegistrationService"/>; several batches are in the write queue at once so that its
/// group commit takes them together.
/// </summary>
public sealed class BulkResendJobs
{
    /// <summary>Batches queued for writing at once: enough to keep the writer busy while the next ones are prepared.</summary>
    private const int BatchesInFlight = 4;

    private readonly Dictionary<(string OrgId, string AdminId), BulkResendJob> _jobs = [];
    private readonly Lock _gate = new();
    private readonly BulkResendService _bulk;
    private readonly RegistrationService _registration;
    private readonly WriteQueue _writes;
    private readonly TimeProvider _time;
    private readonly ILogger<BulkResendJobs> _logger;
    private readonly BackgroundJobs _background;

    public BulkResendJobs(BulkResendService bulk, RegistrationService registration, WriteQueue writes, TimeProvider time, BackgroundJobs background, ILogger<BulkResendJobs> logger)
    {
        _bulk = bulk;
        _registration = registration;
        _writes = writes;
        _time = time;
        _background = background;
        _logger = logger;
    }

    /// <summary>The admin's running or last job in the organization, if any.</summary>
    public BulkResendJob? Find(AdminScope scope)
    {
        lock (_gate)
        {
            return _jobs.GetValueOrDefault((scope.OrgId, scope.AdminId));
        }
    }

    /// <summary>
    /// Starts a job, or returns null when one of this admin's is still running in this organization. The users are
    /// counted before it returns (so the job shows its size at once); the resends run in the background.
    /// </summary>
    public async Task<BulkResendJob?> StartAsync(AdminScope scope, BulkResendTarget target, string? clientAddress, CancellationToken ct = default)
    {
        var key = (scope.OrgId, scope.AdminId);
        if (Find(scope)?.Progress.IsRunning == true)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var total = await _bulk.CountAsync(scope, target, now, ct);
        var job = new BulkResendJob($"bulk-{Guid.CreateVersion7(now):N}", target.Describe(), total, now);
        lock (_gate)
        {
            if (_jobs.TryGetValue(key, out var existing) && existing.Progress.IsRunning)
            {
                return null;
            }

            _jobs[key] = job;
        }

        // Not the caller's token: the job belongs to the host and outlives the page that started it.
        job.Run = _background.Enqueue(job.Progress.JobId, stopping => RunAsync(job, scope, target, Actor.Admin(scope.AdminId, clientAddress), now, stopping));
        return job;
    }

    /// <summary>Forgets the admin's finished job (a running one is kept: it cannot be dismissed, only stopped).</summary>
    public void Dismiss(AdminScope scope)
    {
        lock (_gate)
        {
            var key = (scope.OrgId, scope.AdminId);
            if (_jobs.TryGetValue(key, out var job) && !job.Progress.IsRunning)
            {
                _jobs.Remove(key);
            }
        }
    }

    private async Task RunAsync(BulkResendJob job, AdminScope scope, BulkResendTarget target, Actor actor, DateTimeOffset now, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        job.StopWith(stop);
        var inFlight = new List<(Task<IReadOnlyList<UserResendOutcome>> Task, int Users)>(BatchesInFlight);
        string? error = null;
        try
        {
            await _writes.ExecuteAsync(db =>
            {
                db.Audit(now, scope.OrgId, AuditActions.BulkResendStarted, actor, job.Progress.JobId, $"{job.Progress.Target}: {job.Progress.Total:N0} users");
                return Task.FromResult(true);
            });

            await foreach (var batch in _bulk.BatchesAsync(scope, target, now, stop.Token))
            {
                if (inFlight.Count == BatchesInFlight)
                {
                    await CompleteFirstAsync();
                }

                inFlight.Add((_registration.ResendToUsersAsync(scope.OrgId, batch, actor), batch.Count));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped between batches; what is already queued still completes below.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Bulk resend {JobId} failed", job.Progress.JobId);
            error = ex.Message;
        }

        while (inFlight.Count > 0)
        {
            await CompleteFirstAsync();
        }

        var state = error is not null ? BulkResendState.Failed
            : stop.IsCancellationRequested ? BulkResendState.Stopped
            : BulkResendState.Finished;
        var ended = job.End(state, _time.GetUtcNow(), error);
        try
        {
            await _writes.ExecuteAsync(db =>
            {
                db.Audit(ended.EndedAt!.Value, scope.OrgId, AuditActions.BulkResendFinished, actor, ended.JobId, $"{ended.State}: {ended.Counts}; {ended.Processed:N0} of {ended.Total:N0} users");
                return Task.FromResult(true);
            });
        }
        catch (InvalidOperationException ex)
        {
            _logger.LogWarning(ex, "Bulk resend {JobId} ended ({Counts}) but its end could not be audited", ended.JobId, ended.Counts);
        }

        async Task CompleteFirstAsync()
        {
            var (task, users) = inFlight[0];
            inFlight.RemoveAt(0);
            try
            {
                job.Add(await task);
            }
            catch (Exception ex)
            {
                // The batch rolled back as a whole; nothing of it was sent.
                _logger.LogError(ex, "A batch of {Users} users of bulk resend {JobId} failed", users, job.Progress.JobId);
                job.AddFailed(users);
                error ??= ex.Message;
            }
        }
    }
}

/// <summary>One bulk resend. Its progress changes from the background; <see cref="Changed"/> says when.</summary>
public sealed class BulkResendJob
{
    private readonly Lock _lock = new();
    private BulkResendProgress _progress;
    private CancellationTokenSource? _stopper;
    private bool _stopRequested;

    internal BulkResendJob(string jobId, string target, int total, DateTimeOffset startedAt)
    {
        _progress = new BulkResendProgress(jobId, target, BulkResendState.Running, total, 0, 0, 0, 0, 0, 0, 0, startedAt, null);
    }

    /// <summary>Raised (on a background thread) after each batch and at the end.</summary>
    public event Action<BulkResendProgress>? Changed;

    public BulkResendProgress Progress => Volatile.Read(ref _progress);

    /// <summary>Completes when the job has ended and its end is audited.</summary>
    public Task Completion => Run ?? Task.CompletedTask;

    internal Task? Run { get; set; }

    /// <summary>Stops after the batches already queued; they complete and are counted.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopRequested = true;
            if (_progress.IsRunning)
            {
                _stopper?.Cancel();
            }
        }
    }

    /// <summary>Ties <see cref="Stop"/> to the running job's token source (owned by the run, which outlives it).</summary>
    internal void StopWith(CancellationTokenSource stopper)
    {
        lock (_lock)
        {
            _stopper = stopper;
            if (_stopRequested)
            {
                stopper.Cancel();
            }
        }
    }

    internal void Add(IReadOnlyList<UserResendOutcome> outcomes) => Update(p => p with
    {
        Processed = p.Processed + outcomes.Count,
        Sent = p.Sent + outcomes.Count(o => o.Status == ResendStatus.Sent),
        Throttled = p.Throttled + outcomes.Count(o => o.Status == ResendStatus.Throttled),
        AlreadyRegistered = p.AlreadyRegistered + outcomes.Count(o => o.Status == ResendStatus.AlreadyRegistered),
        Deactivated = p.Deactivated + outcomes.Count(o => o.Status == ResendStatus.Deactivated),
        NotFound = p.NotFound + outcomes.Count(o => o.Status == ResendStatus.Unknown),
        NotSent = p.NotSent.Count >= BulkResendProgress.ListedLimit
            ? p.NotSent
            : [.. p.NotSent, .. outcomes.Where(o => o.Status != ResendStatus.Sent).Take(BulkResendProgress.ListedLimit - p.NotSent.Count)],
    });

    internal void AddFailed(int users) => Update(p => p with { Processed = p.Processed + users, Failed = p.Failed + users });

    internal BulkResendProgress End(BulkResendState state, DateTimeOffset at, string? error) =>
        Update(p => p with { State = state, EndedAt = at, Error = error });

    private BulkResendProgress Update(Func<BulkResendProgress, BulkResendProgress> change)
    {
        BulkResendProgress next;
        lock (_lock)
        {
            next = change(_progress);
            Volatile.Write(ref _progress, next);
        }

        Changed?.Invoke(next);
        return next;
    }
}
