using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// Answers the statements <paramref name="matches"/> picks while <see cref="Failing"/> is set: with
/// <paramref name="failure"/>'s exception, or SQLite's I/O error, as a failing disk answers.
/// </summary>
public sealed class FailingStatements(Func<string, bool> matches, Func<Exception>? failure = null) : DbCommandInterceptor
{
    /// <summary>
    /// The dispatcher's renewal of a batch's claim (the one update of the outbox that sets only the next attempt's time),
    /// failing from the start: the claim lapses as it does for a host that lost its database, or was frozen past the lease.
    /// </summary>
    public static FailingStatements ClaimRenewals() =>
        new(sql => sql.StartsWith("UPDATE \"OutboxMessages\"", StringComparison.Ordinal)
            && Regex.IsMatch(sql, @"SET ""NextAttemptAt"" = @\w+\s+WHERE"))
        {
            Failing = true,
        };

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
