using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// The writer of the database. SQLite takes one writer at a time and most of a small write's cost
/// is the commit, so queued work items are run back to back in one transaction (group commit), each inside
/// its own savepoint: an item that throws is rolled back alone and the others still commit. Callers' tasks
/// complete only after the commit that holds their work. If the commit itself fails, the batch's items are
/// retried one transaction each. Each item keeps the trace of the request that queued it: its database span is a
/// child of that request's span, and the audit events it writes carry that request's correlation id.
/// <para>
/// On PostgreSQL several hosts each run a queue against one database, so a batch is no longer the only writer: work
/// locks the rows it decides on (<see cref="RowLocks"/>), and an item that loses a race to another host (a unique key
/// inserted first, a deadlock between two batches) is rolled back to its savepoint and run again on its own after
/// the batch commits, when it sees what the other host committed. The same holds between the batches of one host,
/// which runs <see cref="PortalDatabase.Writers"/> of them at once there.
/// </para>
/// </summary>
public sealed class WriteQueue : IAsyncDisposable
{
    private const int MaxBatch = 256;

    /// <summary>How often an item that keeps losing races to other hosts is run before its caller gets the error.</summary>
    private const int MaxRuns = 8;

    private readonly Channel<WorkItem> _channel;
    private readonly IDbContextFactory<PortalDbContext> _contexts;
    private readonly ILogger<WriteQueue> _logger;
    private readonly PortalTelemetry _telemetry;
    private readonly string _system;
    private readonly Task _loop;
    private readonly int _writers;

    public WriteQueue(IDbContextFactory<PortalDbContext> contexts, ILogger<WriteQueue> logger, PortalTelemetry telemetry, PortalDatabase database)
    {
        _contexts = contexts;
        _logger = logger;
        _telemetry = telemetry;
        _system = database.SystemName;

        // SQLite has one writer (more batches at once would only wait for each other's locks); PostgreSQL runs
        // Database:Writers of them (see PostgresSetup.Writers).
        var writers = database.Writers;
        _channel = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = writers == 1 });
        _writers = writers;
        _loop = Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(RunAsync)));
    }

    /// <summary>
    /// Runs <paramref name="work"/> inside the next batch's transaction; the changes it tracks are saved for it.
    /// Once queued, the work runs even if the caller stops waiting, so nothing is left half done.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        var item = new WorkItem<T>(work);
        if (!_channel.Writer.TryWrite(item))
        {
            throw new InvalidOperationException("The host is shutting down.");
        }

        return item.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<WorkItem>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();

            // With several writers each takes its share of what is waiting, so the others are not left idle while
            // one works through everything.
            var take = _writers == 1 ? MaxBatch : Math.Clamp((reader.Count + _writers - 1) / _writers, 1, MaxBatch);
            while (batch.Count < take && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                if (batch.Count == 1)
                {
                    await RunAloneAsync(batch[0]);
                }
                else
                {
                    await RunBatchAsync(batch);
                }
            }
            catch (Exception ex)
            {
                // Never let the writer die: fail whatever is still waiting.
                _logger.LogError(ex, "Write batch failed");
                foreach (var item in batch)
                {
                    item.TryFail(ex);
                }
            }
            finally
            {
                _telemetry.WriteBatch(batch.Count, Stopwatch.GetElapsedTime(started));
            }
        }
    }

    private async Task RunBatchAsync(List<WorkItem> batch)
    {
        var done = new List<(WorkItem Item, object? Result)>(batch.Count);
        var again = new List<WorkItem>();
        try
        {
            await using var db = await _contexts.CreateDbContextAsync();

            // Each item already runs in its own savepoint; EF's own one per SaveChanges would double them.
            db.Database.AutoSavepointsEnabled = false;
            await using var tx = await db.Database.BeginTransactionAsync();
            foreach (var item in batch)
            {
                await tx.CreateSavepointAsync("item");
                item.StartSpan(batch.Count, _system);
                db.CorrelationId = item.CorrelationId;
                try
                {
                    var result = await item.RunAsync(db);
                    await db.SaveChangesAsync();
                    await tx.ReleaseSavepointAsync("item");
                    done.Add((item, result));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    await tx.RollbackToSavepointAsync("item");
                    await tx.ReleaseSavepointAsync("item");
                    if (WriteConflicts.IsRaceLost(ex))
                    {
                        again.Add(item);
                    }
                    else
                    {
                        item.TryFail(ex);
                    }
                }
                finally
                {
                    db.ChangeTracker.Clear();
                    Activity.Current = null;
                }
            }

            await tx.CommitAsync();
        }
        catch (Exception ex)
        {
            // The transaction is gone with all it held. Retry, one transaction each, every item not yet answered:
            // those done before the failure and those it kept from running (otherwise their callers wait forever).
            var unanswered = batch.Where(item => !item.IsAnswered).ToList();
            _logger.LogWarning(ex, "Group commit of {Count} items failed; retrying them one by one", unanswered.Count);
            foreach (var item in unanswered)
            {
                await RunAloneAsync(item);
            }

            return;
        }

        foreach (var (item, result) in done)
        {
            item.Complete(result);
        }

        foreach (var item in again)
        {
            await RunAloneAsync(item);
        }
    }

    private async Task RunAloneAsync(WorkItem item)
    {
        item.StartSpan(1, _system);
        try
        {
            for (var run = 1; ; run++)
            {
                try
                {
                    await using var db = await _contexts.CreateDbContextAsync();
                    db.CorrelationId = item.CorrelationId;
                    await using var tx = await db.Database.BeginTransactionAsync();
                    var result = await item.RunAsync(db);
                    await db.SaveChangesAsync();
                    await tx.CommitAsync();
                    item.Complete(result);
                    return;
                }
                catch (Exception ex) when (run < MaxRuns && WriteConflicts.IsRaceLost(ex))
                {
                    // Another host committed first: the next run reads what it committed and decides again.
                    _logger.LogDebug("A write lost a race to another writer; running it again (run {Run})", run + 1);
                }
            }
        }
        catch (Exception ex)
        {
            item.TryFail(ex);
        }
        finally
        {
            Activity.Current = null;
        }
    }

    private abstract class WorkItem
    {
        private readonly ActivityContext _parent = Activity.Current?.Context ?? default;
        private Activity? _span;

        /// <summary>The queuing request's correlation id (its trace id), for the audit events the work writes.</summary>
        public string? CorrelationId { get; } = PortalTelemetry.CurrentCorrelationId();

        /// <summary>Opens the item's database span under the request that queued it; it ends with the item's answer.</summary>
        public void StartSpan(int batchSize, string system)
        {
            Activity.Current = null;
            _span ??= PortalTelemetry.StartActivity("db.write", ActivityKind.Internal, _parent)
                .SetTag("db.system.name", system)
                .SetTag("portal.write_batch.size", batchSize);
        }

        protected void EndSpan(Exception? error = null)
        {
            if (_span is not { } span)
            {
                return;
            }

            _span = null;
            if (error is not null)
            {
                span.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
            }

            span.Stop();
        }

        /// <summary>True once the caller has its result or its error.</summary>
        public abstract bool IsAnswered { get; }

        public abstract Task<object?> RunAsync(PortalDbContext db);

        public abstract void Complete(object? result);

        public abstract void TryFail(Exception ex);
    }

    private sealed class WorkItem<T>(Func<PortalDbContext, Task<T>> work) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override bool IsAnswered => _completion.Task.IsCompleted;

        public override async Task<object?> RunAsync(PortalDbContext db) => await work(db);

        public override void Complete(object? result)
        {
            EndSpan();
            _completion.TrySetResult((T)result!);
        }

        public override void TryFail(Exception ex)
        {
            EndSpan(ex);
            _completion.TrySetException(ex);
        }
    }
}
