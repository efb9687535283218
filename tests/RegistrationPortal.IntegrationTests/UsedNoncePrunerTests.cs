using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The used-nonce store stays bounded on its own: every half nonce window (the default window is 5 minutes) the host
/// forgets the nonces whose expiry has passed, and keeps one until its very expiry instant has passed.
/// </summary>
public sealed class UsedNoncePrunerTests
{
    [Fact]
    public async Task Every_half_window_the_host_forgets_the_nonces_whose_expiry_has_passed()
    {
        var time = StillClock.OnWholeMillisecond();
        await using var host = new PortalFactory(services: s => s.AddSingleton<TimeProvider>(time));
        _ = host.Server;
        var halfWindow = new ApiOptions().NonceWindow / 2;
        var start = time.GetUtcNow();
        await host.WithDbAsync(db =>
        {
            db.UsedNonces.AddRange(
                new UsedNonce { Key = "expired", ExpiresAt = start + halfWindow - TimeSpan.FromSeconds(1) },
                new UsedNonce { Key = "expires-at-the-tick", ExpiresAt = start + halfWindow },
                new UsedNonce { Key = "later", ExpiresAt = start + halfWindow + TimeSpan.FromMinutes(1) });
            return db.SaveChangesAsync();
        });

        time.Advance(halfWindow);

        await Wait.WaitUntilAsync(async () => !await host.WithDbAsync(db => db.UsedNonces.AnyAsync(n => n.Key == "expired")), "the expired nonce is forgotten at the tick");
        Assert.Equal(["expires-at-the-tick", "later"], await host.WithDbAsync(db => db.UsedNonces.Select(n => n.Key).OrderBy(k => k).ToListAsync()));
    }

    /// <summary>
    /// The database fails a prune (a disk with I/O errors, say): the host logs it, keeps running, and the next half
    /// window's prune forgets what the failed one could not.
    /// </summary>
    [Fact]
    public async Task A_prune_the_database_fails_is_logged_and_the_next_one_forgets_the_expired_nonces()
    {
        var time = StillClock.OnWholeMillisecond();
        var faults = new FailingStatements(sql => sql.StartsWith("DELETE FROM \"UsedNonces\"", StringComparison.Ordinal));
        var log = new ErrorLog(LogLevel.Warning);
        await using var host = new PortalFactory(services: s => s
            .AddSingleton<TimeProvider>(time)
            .AddSingleton<ILoggerProvider>(log)
            .ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(faults)));
        _ = host.Server;
        var halfWindow = new ApiOptions().NonceWindow / 2;
        var start = time.GetUtcNow();
        await host.WithDbAsync(db =>
        {
            db.UsedNonces.Add(new UsedNonce { Key = "expired", ExpiresAt = start + halfWindow - TimeSpan.FromSeconds(1) });
            return db.SaveChangesAsync();
        });

        faults.Failing = true;
        time.Advance(halfWindow);
        var failed = $"Warning {typeof(UsedNoncePruner).FullName}: Pruning used nonces failed; trying again later SqliteException";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(failed)), "the failed prune is logged");
        Assert.True(await host.WithDbAsync(db => db.UsedNonces.AnyAsync(n => n.Key == "expired")));

        faults.Failing = false;
        time.Advance(halfWindow);
        await Wait.WaitUntilAsync(async () => !await host.WithDbAsync(db => db.UsedNonces.AnyAsync(n => n.Key == "expired")), "the next prune forgets the expired nonce");
        Assert.Single(log.Entries, e => e.Contains(typeof(UsedNoncePruner).FullName!, StringComparison.Ordinal));
    }
}
