using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// Runs an action once: just before the first command whose text contains a given part (so the reads before it are
/// over; the action may run its own statements on that command's connection and transaction, as another writer whose
/// commit came first), or, armed before a write, just as the first transaction after such a command starts (the
/// writer's, before its work reads the clock).
/// </summary>
public sealed class DatabaseGap : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private readonly Lock _lock = new();
    private string? _part;
    private bool _seen;
    private bool _onTransaction;
    private Func<DbCommand?, Task>? _action;

    public bool Ran { get; private set; }

    public void Arm(string part, Func<Task> action) => Set(part, _ => action(), onTransaction: false);

    /// <summary>As <see cref="Arm(string, Func{Task})"/>, the action given the command it runs before.</summary>
    public void Arm(string part, Func<DbCommand, Task> action) => Set(part, command => action(command!), onTransaction: false);

    public void ArmBeforeWrite(string after, Action action) => Set(after, _ =>
    {
        action();
        return Task.CompletedTask;
    }, onTransaction: true);

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await RunAsync(Take(command.CommandText, transaction: false), command);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await RunAsync(Take(command.CommandText, transaction: false), command);
        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await RunAsync(Take(null, transaction: true), null);
        return result;
    }

    private static Task RunAsync(Func<DbCommand?, Task>? action, DbCommand? command) => action?.Invoke(command) ?? Task.CompletedTask;

    private void Set(string part, Func<DbCommand?, Task> action, bool onTransaction)
    {
        lock (_lock)
        {
            (_part, _seen, _onTransaction, _action, Ran) = (part, false, onTransaction, action, false);
        }
    }

    /// <summary>The action, if this command or transaction is where it runs.</summary>
    private Func<DbCommand?, Task>? Take(string? sql, bool transaction)
    {
        lock (_lock)
        {
            if (_action is null)
            {
                return null;
            }

            if (sql is not null && sql.Contains(_part!, StringComparison.Ordinal))
            {
                _seen = true;
            }

            if (!_seen || transaction != _onTransaction)
            {
                return null;
            }

            var action = _action;
            _action = null;
            Ran = true;
            return action;
        }
    }
}
