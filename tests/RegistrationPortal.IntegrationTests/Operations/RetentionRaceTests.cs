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
        await using var host = new PortalFactory(
            settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false", ["Retention:Enabled"] = "false" },
            provider: DatabaseProvider.Postgres);
        var now = DateTimeOffset.UtcNow;
        var old = now - TimeSpan.FromDays(30);
        await host.WithDbAsync(db =>
        {
            db.CodeAttemptCounters.Add(new CodeAttemptCounter { OrgId = "", NormalizedUsername = "", ClientAddress = Address, Failures = 3, WindowStartedAt = old, LastFailureAt = old });
            return db.SaveChangesAsync();
        });

        // Another request's write refreshes the counter and holds its row, not yet committed.
        await using var other = new NpgsqlConnection(host.ConnectionString);
        await other.OpenAsync();
        await using var refreshing = await other.BeginTransactionAsync();
        await using (var refresh = new NpgsqlCommand(
            """UPDATE "CodeAttemptCounters" SET "Failures" = 1, "WindowStartedAt" = @now, "LastFailureAt" = @now WHERE "ClientAddress" = @address""",
            other,
            refreshing))
        {
            refresh.Parameters.AddWithValue("now", PortalDbContext.StoredTime(now));
            refresh.Parameters.AddWithValue("address", Address);
            Assert.Equal(1, await refresh.ExecuteNonQueryAsync());
        }

        var pruning = host.Services.GetRequiredService<RetentionService>().PruneAsync(now);
        await Wait.WaitUntilAsync(() => DeleteWaitsForARowAsync(host.ConnectionString), "retention's delete waits for the refreshed row");
        await refreshing.CommitAsync();
        var report = await pruning;

        Assert.Equal(0, report.AttemptCounters);
        var kept = await host.WithDbAsync(db => db.CodeAttemptCounters.AsNoTracking().SingleAsync(c => c.ClientAddress == Address));
        Assert.Equal(1, kept.Failures);
    }

    /// <summary>True once a delete of the counters is waiting for a row lock held by another transaction.</summary>
    private static async Task<bool> DeleteWaitsForARowAsync(string connectionString)
    {
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "CodeAttemptCounters"%'
            """,
            watcher);
        return (long)(await waiting.ExecuteScalarAsync())! > 0;
    }
}
