using Npgsql;

namespace RegistrationPortal.Web.Data.Postgres;

/// <summary>
/// Statements that commit on their own pooled connection instead of in the <see cref="WriteQueue"/>'s batches. Only on
/// PostgreSQL, whose server takes many writers at once and groups their commits itself: a hot write that is one statement
/// gains nothing from a batch there, and loses the batch's round trips (savepoints, one statement after another). On
/// SQLite, which has one writer, <see cref="Source"/> is null and callers go through the queue.
/// </summary>
public sealed class DirectWrites(PortalDatabase database, ILoggerFactory loggers) : IAsyncDisposable
{
    // Its commands are logged as Npgsql.Command, as EF Core's are as Microsoft.EntityFrameworkCore.Database.Command.
    private readonly NpgsqlDataSource? _source = database.IsSqlite ? null : new NpgsqlDataSourceBuilder(database.ConnectionString).UseLoggerFactory(loggers).Build();

    /// <summary>The pool to run a one-statement write on; null on SQLite.</summary>
    public NpgsqlDataSource? Source => _source;

    public ValueTask DisposeAsync() => _source?.DisposeAsync() ?? ValueTask.CompletedTask;
}
