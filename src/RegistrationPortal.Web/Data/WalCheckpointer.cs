using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// SQLite: the host's one owner of write-ahead log checkpoints, on a connection of its own.
/// <para>
/// Every <see cref="Interval"/> it copies the log's committed pages into the database file (a passive checkpoint), so
/// that the single writer no longer does it inside its commits. SQLite checkpoints in the commit that fills the log past
/// a threshold: under the benchmark's load that was about a quarter of the writer's time (the page copies and two
/// <c>fsync</c>s), and every request queued behind that commit waited for it. A passive checkpoint waits for no reader
/// or writer and runs beside the writer, on another core. The writer's own checkpoint stays as a backstop, at
/// <see cref="WriterCheckpointPages"/> instead of SQLite's 1,000, for when this one falls behind or a process runs
/// without it (a verb).
/// </para>
/// <para>
/// On request (<see cref="TruncateAsync"/>) it also runs a truncating checkpoint, which cuts the log back to nothing: the
/// dispatcher asks for one after erasing payloads. One checkpoint at a time, on the one connection: two from the same
/// process would find each other holding the file's checkpoint lock and give up.
/// </para>
/// </summary>
public sealed class WalCheckpointer(IDbContextFactory<PortalDbContext> contexts, ILogger<WalCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>The log's size, in pages, at which a committing writer checkpoints by itself (SQLite's <c>wal_autocheckpoint</c>).</summary>
    public const int WriterCheckpointPages = 10_000;

    /// <summary>
    /// How long a checkpoint on this connection waits for the writer and for readers of older snapshots. Only the
    /// truncating one waits at all (a passive one never does): long enough for the writer's batch and a page's queries
    /// under load, short enough that one reader on an old snapshot (a backup's <c>VACUUM INTO</c>, a long report) holds
    /// every writer back only this long, where the usual busy timeout would stall all writes for ten seconds at a time.
    /// </summary>
    public const int BusyTimeoutMilliseconds = 50;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private PortalDbContext? _db;
    private bool _stopped;

    /// <summary>
    /// A checkpoint that copies the whole log into the file and truncates it. False when a reader or the writer held it
    /// back longer than <see cref="BusyTimeoutMilliseconds"/>, or the host is stopping: the caller tries again later.
    /// A failing database throws (<see cref="DbException"/>).
    /// </summary>
    public Task<bool> TruncateAsync(CancellationToken ct) => CheckpointAsync("TRUNCATE", ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckpointAsync("PASSIVE", stoppingToken);
                    if (failing)
                    {
                        logger.LogInformation("Checkpointing the database's write-ahead log works again");
                        failing = false;
                    }
                }
                catch (DbException ex)
                {
                    // Once per spell of failures (a full or failing disk): the writer's own checkpoint still runs meanwhile.
                    if (!failing)
                    {
                        logger.LogWarning("Checkpointing the database's write-ahead log failed ({ErrorType}); trying again every {Interval} ms", ex.GetType().Name, Interval.TotalMilliseconds);
                        failing = true;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await _gate.WaitAsync(CancellationToken.None);
            _stopped = true;
            await CloseAsync();
            _gate.Release();
        }
    }

    /// <summary>Returns whether the checkpoint got through the whole log (SQLite's first column, <c>busy</c>, is 0).</summary>
    private async Task<bool> CheckpointAsync(string mode, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_stopped)
            {
                return false;
            }

            _db ??= await OpenAsync(ct);
            await using var command = _db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"PRAGMA wal_checkpoint({mode})";
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) && reader.GetInt32(0) == 0;
        }
        catch (DbException)
        {
            // A fresh connection next time: this one may be what failed.
            await CloseAsync();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<PortalDbContext> OpenAsync(CancellationToken ct)
    {
        var db = await contexts.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMilliseconds}";
            await command.ExecuteNonQueryAsync(ct);
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    private async Task CloseAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
            _db = null;
        }
    }

    public override void Dispose()
    {
        _db?.Dispose();
        _db = null;
        base.Dispose();
    }
}
