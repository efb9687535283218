using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// PostgreSQL: a counter that another request refreshes while retention's delete waits for its row (a wrong code in a
/// new window, a new resend) is no longer past retention when the delete gets it, and stays. Deleted, it would start the
/// address's count of wrong codes (or the user's count of resends) again from nothing: seen as a throttled address told
/// that the user exists once retention had run at that moment.
/// </summary>
public sealed class RetentionRaceTests
{
    private const string Address = "203.0.113.9";

    [Fact]
    public async Task A_wrong_code_counter_refreshed_while_retention_waits_for_it_is_kept()
    {
        await using var host = Host();
        await host.WithDbAsync(db =>
        {
            db.CodeAttemptCounters.Add(new CodeAttemptCounter { OrgId = "", NormalizedUsername = "", ClientAddress = Address, Failures = 3, WindowStartedAt = Old, LastFailureAt = Old });
            return db.SaveChangesAsync();
        });

        var report = await PruneWhileRefreshedAsync(
            host,
            """UPDATE "CodeAttemptCounters" SET "Failures" = 1, "WindowStartedAt" = @now, "LastFailureAt" = @now WHERE "ClientAddress" = @key""",
            Address,
            "CodeAttemptCounters");

        Assert.Equal(0, report.AttemptCounters);
        var kept = await host.WithDbAsync(db => db.CodeAttemptCounters.AsNoTracking().SingleAsync(c => c.ClientAddress == Address));
        Assert.Equal(1, kept.Failures);
    }

    [Fact]
    public async Task A_resend_counter_refreshed_while_retention_waits_for_it_is_kept()
    {
        await using var host = Host();
        const string user = "refreshed@example.test";
        await host.WithDbAsync(db =>
        {
            db.ResendThrottles.Add(new ResendThrottle { OrgId = "or-race", NormalizedUsername = user, LastRequestAt = Old, WindowStartedAt = Old, WindowCount = 5 });
            return db.SaveChangesAsync();
        });

        var report = await PruneWhileRefreshedAsync(
            host,
            """UPDATE "ResendThrottles" SET "WindowCount" = 1, "WindowStartedAt" = @now, "LastRequestAt" = @now WHERE "NormalizedUsername" = @key""",
            user,
            "ResendThrottles");

        Assert.Equal(0, report.ResendCounters);
        var kept = await host.WithDbAsync(db => db.ResendThrottles.AsNoTracking().SingleAsync(t => t.NormalizedUsername == user));
        Assert.Equal(1, kept.WindowCount);
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static readonly DateTimeOffset Old = Now - TimeSpan.FromDays(30);

    private static PortalFactory Host() => new(
        settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false", ["Retention:Enabled"] = "false" },
        provider: DatabaseProvider.Postgres);

    /// <summary>
    /// Another request's write refreshes the row (<paramref name="refresh"/>) and holds it, not yet committed; retention
    /// prunes meanwhile, and the refresh commits once the delete of <paramref name="table"/> waits for the row.
    /// </summary>
    private static async Task<RetentionReport> PruneWhileRefreshedAsync(PortalFactory host, string refresh, string key, string table)
    {
        await using var other = new NpgsqlConnection(host.ConnectionString);
        await other.OpenAsync();
        await using var refreshing = await other.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand(refresh, other, refreshing))
        {
            command.Parameters.AddWithValue("now", PortalDbContext.StoredTime(Now));
            command.Parameters.AddWithValue("key", key);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var pruning = host.Services.GetRequiredService<RetentionService>().PruneAsync(Now);
        await Wait.WaitUntilAsync(() => DeleteWaitsForARowAsync(host.ConnectionString, table), $"retention's delete of {table} waits for the refreshed row");
        await refreshing.CommitAsync();
        return await pruning;
    }

    /// <summary>True once a delete from <paramref name="table"/> is waiting for a row lock held by another transaction.</summary>
    private static async Task<bool> DeleteWaitsForARowAsync(string connectionString, string table)
    {
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE @delete
            """,
            watcher);
        waiting.Parameters.AddWithValue("delete", $"DELETE FROM \"{table}\"%");
        return (long)(await waiting.ExecuteScalarAsync())! > 0;
    }
}
