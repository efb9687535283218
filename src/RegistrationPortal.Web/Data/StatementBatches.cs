using System.Data.Common;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// One statement run once for each of many rows in a single round trip, where the provider sends many statements
/// together (PostgreSQL; <see cref="DbConnection.CanCreateBatch"/>). The batch goes to the connection directly: EF Core's
/// command log and interceptors do not see it (the provider's own tracing does).
/// </summary>
internal static class StatementBatches
{
    /// <summary>
    /// Runs <paramref name="command"/>'s text once per row, <paramref name="bind"/> setting the command's parameter values
    /// for that row (they are copied into the row's statement), and returns the rows each run changed, in order.
    /// </summary>
    public static async Task<int[]> RunEachAsync<T>(DbCommand command, IReadOnlyList<T> rows, Action<DbParameterCollection, T> bind, CancellationToken ct = default)
    {
        await using var batch = command.Connection!.CreateBatch();
        batch.Transaction = command.Transaction;
        foreach (var row in rows)
        {
            bind(command.Parameters, row);
            var each = batch.CreateBatchCommand();
            each.CommandText = command.CommandText;
            foreach (DbParameter parameter in command.Parameters)
            {
                each.Parameters.Add(((ICloneable)parameter).Clone());
            }

            batch.BatchCommands.Add(each);
        }

        await batch.PrepareAsync(ct);
        await batch.ExecuteNonQueryAsync(ct);
        var changed = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            changed[i] = batch.BatchCommands[i].RecordsAffected;
        }

        return changed;
    }
}
