using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// A kept statement run once for each of many rows (<see cref="PortalDbContext.RunEachAsync"/>) tells what each run
/// changed, in the rows' order, whether the runs went one by one (SQLite) or together in one round trip (PostgreSQL):
/// the dispatcher learns from it which deliveries it still held the claim on.
/// </summary>
public abstract class KeptCommandTests
{
    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task Each_runs_changes_are_told_apart_in_the_rows_order()
    {
        await using var host = new PortalFactory(provider: Provider);
        var prefix = $"kept-{Guid.NewGuid():N}-";
        string[] keys = [prefix + "a", prefix + "b", prefix + "a", prefix + "c", prefix + "b"];

        var changed = await host.Services.GetRequiredService<WriteQueue>().ExecuteAsync(db =>
        {
            var insert = db.Command(
                """INSERT INTO "UsedNonces" ("Key", "ExpiresAt") VALUES (@key, @at) ON CONFLICT ("Key") DO NOTHING""",
                ("@key", typeof(string)),
                ("@at", typeof(long)));
            insert.Parameters[1].Value = PortalDbContext.StoredTime(DateTimeOffset.UtcNow.AddHours(1));
            return db.RunEachAsync(insert, keys, static (values, key) => values[0].Value = key);
        });

        Assert.Equal([1, 1, 0, 1, 0], changed);
        Assert.Equal(3, await host.WithDbAsync(db => db.UsedNonces.CountAsync(n => n.Key.StartsWith(prefix))));
    }
}

public sealed class KeptCommandTestsOnSqlite : KeptCommandTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class KeptCommandTestsOnPostgres : KeptCommandTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
