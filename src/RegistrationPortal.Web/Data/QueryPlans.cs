using Microsoft.EntityFrameworkCore;

namespace RegistrationPortal.Web.Data;

/// <summary>How the database would run a query, for tests and the benchmark that check the indexes are used.</summary>
internal static class QueryPlans
{
    /// <summary>
    /// The lines of SQLite's <c>EXPLAIN QUERY PLAN</c> (or PostgreSQL's <c>EXPLAIN</c>) for <paramref name="query"/>, with
    /// its real parameters.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ExplainAsync<T>(IQueryable<T> query, CancellationToken ct = default)
    {
        await using var command = query.CreateDbCommand();
        var postgres = command is Npgsql.NpgsqlCommand;
        command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + command.CommandText;
        var opened = command.Connection!.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await command.Connection.OpenAsync(ct);
        }

        try
        {
            var lines = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                lines.Add(reader.GetString(postgres ? 0 : 3));
            }

            return lines;
        }
        finally
        {
            if (opened)
            {
                await command.Connection.CloseAsync();
            }
        }
    }
}
