using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Data.Postgres;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// PostgreSQL's gathered one-statement writes (the public doors'): statements that arrive together are committed in one
/// round, each still gets its own answer, and one the server refuses fails alone.
/// </summary>
public sealed class DirectWritesTests
{
    [Fact]
    public async Task Statements_of_one_round_get_their_own_answers_in_order_and_one_refused_fails_alone()
    {
        await using var host = new PortalFactory(provider: DatabaseProvider.Postgres);
        var direct = host.Services.GetRequiredService<DirectWrites>();
        var prefix = $"round-{Guid.NewGuid():N}-";
        var lockKey = Random.Shared.NextInt64(1, long.MaxValue / 2);

        // Both rounds are held at the server, each by a statement waiting for a lock this test holds, so the statements
        // below gather while they wait; releasing the first lock lets one round take all of them together.
        await using var holder = new NpgsqlConnection(host.ConnectionString);
        await holder.OpenAsync();
        await ExecuteAsync(holder, $"SELECT pg_advisory_lock({lockKey}), pg_advisory_lock({lockKey + 1})");
        var blockers = new List<Task<object?>>();
        for (var i = 0; i < DirectWrites.Rounds; i++)
        {
            var key = lockKey + i;
            blockers.Add(direct.ScalarAsync(() => new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({key})::text"), ""));
            var rounds = i + 1;
            await Wait.WaitUntilAsync(() => LockWaitersAsync(holder, rounds), $"round {rounds} waits at the server");
        }

        // Keys given twice: the first in arrival order inserts, the second finds it there (the same round, one by one).
        string[] keys = [prefix + "c", prefix + "a", prefix + "b", prefix + "a", prefix + "c"];
        var inserts = keys.Select(key => direct.ScalarAsync(() => Insert(key), key)).ToList();
        var refused = direct.ScalarAsync(() => new NpgsqlBatchCommand("SELECT 1 / 0"), prefix + "b");

        await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({lockKey})");
        await Wait.WaitUntilAsync(() => Task.WhenAll(inserts).IsCompleted && refused.IsCompleted, "the gathered statements are answered");
        await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({lockKey + 1})");
        await Task.WhenAll(blockers);

        var inserted = (await Task.WhenAll(inserts)).Select(Convert.ToInt64).ToArray();
        Assert.Equal([1L, 1L, 1L, 0L, 0L], inserted);
        var error = await Assert.ThrowsAsync<PostgresException>(() => refused);
        Assert.Equal(PostgresErrorCodes.DivisionByZero, error.SqlState);
        Assert.Equal(3, await host.WithDbAsync(db => db.UsedNonces.CountAsync(n => n.Key.StartsWith(prefix))));
    }

    private static NpgsqlBatchCommand Insert(string key) => new(
        """
        WITH i AS (
            INSERT INTO "UsedNonces" ("Key", "ExpiresAt") VALUES ($1, $2) ON CONFLICT ("Key") DO NOTHING RETURNING 1
        )
        SELECT count(*) FROM i
        """)
    {
        Parameters =
        {
            new NpgsqlParameter<string> { TypedValue = key },
            new NpgsqlParameter<long> { TypedValue = PortalDbContext.StoredTime(DateTimeOffset.UtcNow.AddHours(1)) },
        },
    };

    private static async Task<bool> LockWaitersAsync(NpgsqlConnection connection, int atLeast)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", connection);
        return (long)(await command.ExecuteScalarAsync())! >= atLeast;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
