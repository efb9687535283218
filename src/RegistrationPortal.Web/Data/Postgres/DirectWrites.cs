using System.Threading.Channels;
using Npgsql;

namespace RegistrationPortal.Web.Data.Postgres;

/// <summary>
/// Statements that commit outside the <see cref="WriteQueue"/>'s batches. Only on PostgreSQL; on SQLite, which has one
/// writer, <see cref="Source"/> is null and callers go through the queue.
/// <para>
/// A hot write that is one statement (the public doors') is handed to <see cref="ScalarAsync"/>, which gathers the
/// statements that arrive while the previous round is at the server and sends them as one batch: one round trip and
/// one commit for all of them, on <see cref="Rounds"/> connections. Each committing on its own pooled connection instead
/// (64 at once under load) kept as many server processes busy, each paying a commit, and starved everything else the
/// server had to do (the resolving of those same requests got a sixty-fourth of it).
/// </para>
/// </summary>
public sealed class DirectWrites : IAsyncDisposable
{
    /// <summary>Rounds at the server at once: one gathers while the other commits.</summary>
    public const int Rounds = 2;

    /// <summary>Statements in one round at most.</summary>
    public const int MaxStatements = 128;

    private readonly NpgsqlDataSource? _source;
    private readonly Channel<Gathered> _gathered = Channel.CreateUnbounded<Gathered>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _rounds = [];
    private readonly ILogger<DirectWrites> _logger;

    public DirectWrites(PortalDatabase database, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger<DirectWrites>();
        if (database.IsSqlite)
        {
            return;
        }

        // Its commands are logged as Npgsql.Command, as EF Core's are as Microsoft.EntityFrameworkCore.Database.Command.
        _source = new NpgsqlDataSourceBuilder(database.ConnectionString).UseLoggerFactory(loggers).Build();
        _rounds = Enumerable.Range(0, Rounds).Select(_ => Task.Run(RunRoundsAsync)).ToArray();
    }

    /// <summary>The pool to run a write on; null on SQLite.</summary>
    public NpgsqlDataSource? Source => _source;

    /// <summary>
    /// Runs the statement <paramref name="make"/> builds in the next round, committed with the others of that round, and
    /// gives the first column of the one row it returns. Statements of one round are run in <paramref name="lockOrder"/>
    /// (in arrival order where equal), so two rounds that lock the same rows take them in the same order; a statement
    /// that fails rolls its round back, and each statement of it is then run in a round of its own, so it fails alone.
    /// </summary>
    public Task<object?> ScalarAsync(Func<NpgsqlBatchCommand> make, string lockOrder)
    {
        var gathered = new Gathered(make, lockOrder, new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_gathered.Writer.TryWrite(gathered), this);

        return gathered.Done.Task;
    }

    private async Task RunRoundsAsync()
    {
        var round = new List<Gathered>(MaxStatements);
        while (await _gathered.Reader.WaitToReadAsync())
        {
            round.Clear();
            while (round.Count < MaxStatements && _gathered.Reader.TryRead(out var next))
            {
                round.Add(next);
            }

            if (round.Count > 0)
            {
                await RunAsync(round);
            }
        }
    }

    private async Task RunAsync(List<Gathered> round)
    {
        var ordered = round.OrderBy(g => g.LockOrder, StringComparer.Ordinal).ToList();
        try
        {
            var results = await ExecuteAsync(ordered);
            for (var i = 0; i < ordered.Count; i++)
            {
                ordered[i].Done.TrySetResult(results[i]);
            }
        }
        catch (PostgresException ex) when (ordered.Count > 1)
        {
            // The server refused one statement and rolled the round back: nothing of it committed. Each again on its own.
            _logger.LogWarning(ex, "A round of {Count} statements failed; running each on its own", ordered.Count);
            foreach (var gathered in ordered)
            {
                await RunAsync([gathered]);
            }
        }
        catch (Exception ex)
        {
            // Not known to have rolled back (the connection failed): not run again, each caller is told.
            foreach (var gathered in ordered)
            {
                gathered.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>One round trip: the statements without a transaction of their own run in one implicit transaction.</summary>
    private async Task<object?[]> ExecuteAsync(List<Gathered> round)
    {
        var results = new object?[round.Count];
        await using var connection = await _source!.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var gathered in round)
        {
            batch.BatchCommands.Add(gathered.Make());
        }

        await batch.PrepareAsync();
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            for (var i = 0; i < round.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync())
                {
                    throw new InvalidOperationException($"Statement {i + 1} of a round returned no row.");
                }

                results[i] = await reader.ReadAsync() ? reader.GetValue(0) : null;
            }

            while (await reader.NextResultAsync())
            {
            }
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        // What was handed over before the host stopped is still run.
        _gathered.Writer.TryComplete();
        await Task.WhenAll(_rounds);
        if (_source is not null)
        {
            await _source.DisposeAsync();
        }
    }

    private sealed record Gathered(Func<NpgsqlBatchCommand> Make, string LockOrder, TaskCompletionSource<object?> Done);
}
