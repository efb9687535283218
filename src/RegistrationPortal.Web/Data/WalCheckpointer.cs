using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// SQLite: copies the write-ahead log's committed pages into the database file every <see cref="Interval"/>, on a
/// connection of its own, so that the single writer no longer does it inside its commits. SQLite checkpoints in the
/// commit that fills the log past a threshold: under the benchmark's load that was about a quarter of the writer's time
/// (the page copies and two <c>fsync</c>s), and every request queued behind that commit waited for it. A passive
/// checkpoint waits for no reader or writer and runs beside the writer, on another core. The writer's own checkpoint
/// stays as a backstop, at <see cref="WriterCheckpointPages"/> instead of SQLite's 1,000, for when this one falls
/// behind or a process runs without it (a verb).
/// </summary>
internal sealed class WalCheckpointer(IDbContextFactory<PortalDbContext> contexts, PortalDatabase database, ILogger<WalCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>The log's size, in pages, at which a committing writer checkpoints by itself (SQLite's <c>wal_autocheckpoint</c>).</summary>
    public const int WriterCheckpointPages = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        PortalDbContext? db = null;
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (db is null)
                    {
                        db = await contexts.CreateDbContextAsync(stoppingToken);
                        await db.Database.OpenConnectionAsync(stoppingToken);
                    }

                    await using var command = db.Database.GetDbConnection().CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    await database.CheckpointGate.WaitAsync(stoppingToken);
                    try
                    {
                        await command.ExecuteNonQueryAsync(stoppingToken);
                    }
                    finally
                    {
                        database.CheckpointGate.Release();
                    }
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

                    if (db is not null)
                    {
                        await db.DisposeAsync();
                        db = null;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (db is not null)
            {
                await db.DisposeAsync();
            }
        }
    }
}
