using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// Answers the statements <paramref name="matches"/> picks while <see cref="Failing"/> is set: with
/// <paramref name="failure"/>'s exception, or SQLite's I/O error, as a failing disk answers.
/// </summary>
public sealed class FailingStatements(Func<string, bool> matches, Func<Exception>? failure = null) : DbCommandInterceptor
{
    private volatile bool _failing;

    /// <summary>Whether the chosen statements fail now.</summary>
    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Fail(command);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Fail(command);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    private void Fail(DbCommand command)
    {
        if (_failing && matches(command.CommandText))
        {
            // SQLITE_IOERR.
            throw failure?.Invoke() ?? new SqliteException("disk I/O error", 10);
        }
    }
}
