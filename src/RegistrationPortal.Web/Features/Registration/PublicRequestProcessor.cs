using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Wakes the <see cref="PublicRequestProcessor"/> when a public door has recorded a request.</summary>
public sealed class PublicRequestSignal : WakeSignal;

/// <summary>
/// Resolves what the public doors recorded (<see cref="PublicRequest"/>): woken by each request, it gathers for
/// <see cref="RegistrationOptions.RequestGatherDelay"/>, then resolves everything waiting in writes of up to
/// <see cref="BatchSizeFor"/>. On SQLite small, so that no write holds the single writer long from the doors' own requests
/// (256 at a time put the resend's p99 at 59 ms, 64 at 49 ms, at the same throughput); on PostgreSQL, where the doors
/// write beside it, larger: a write's round trips are its cost there, and more requests share them. It also polls
/// (<see cref="RegistrationOptions.RequestPollInterval"/>), so requests left by a host that stopped (or by another host)
/// are resolved. On SQLite one write at a time (there is one writer). On PostgreSQL, while writes come back full, up to
/// <see cref="ResolversFor"/> run side by side, each taking requests no other write holds, this host's or another's: one
/// write at a time, each waiting on its round trips, left a host's resolving thousands of requests behind its own doors
/// under load. Two writes holding requests of the same user meet at the user's row, locked in key order: the second sees
/// the code the first issued, and a request asked for before that code is answered by it, as between two hosts.
/// </summary>
public sealed class PublicRequestProcessor(
    RegistrationService registration,
    PublicRequestSignal signal,
    IOptionsMonitor<RegistrationOptions> options,
    PortalDatabase database,
    ILogger<PublicRequestProcessor> logger) : BackgroundService
{
    /// <summary>Requests resolved in one write at most.</summary>
    public static int BatchSizeFor(PortalDatabase database) => database.IsSqlite ? 64 : 256;

    /// <summary>Writes resolving requests at once at most: one on SQLite; on PostgreSQL half the host's writers, leaving the rest to the mail and the admins.</summary>
    public static int ResolversFor(PortalDatabase database) => database.IsSqlite ? 1 : Math.Max(1, database.Writers / 2);

    private readonly int _batchSize = BatchSizeFor(database);

    private readonly int _resolvers = ResolversFor(database);

    /// <summary>Requests this host cannot resolve (see <see cref="ResolveOneAtATimeAsync"/>); locked, as writes side by side add to it.</summary>
    private readonly HashSet<Guid> _setAside = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.RequestProcessorEnabled)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (await signal.WaitAsync(options.CurrentValue.RequestPollInterval, stoppingToken) && options.CurrentValue.RequestGatherDelay > TimeSpan.Zero)
                {
                    await Task.Delay(options.CurrentValue.RequestGatherDelay, stoppingToken);
                }

                await DrainAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Resolves every waiting request; what was recorded before a stop is resolved at the next start. A write that comes
    /// back full is followed by another, and joined by one more while fewer than <see cref="ResolversFor"/> run.
    /// </summary>
    private async Task DrainAsync(CancellationToken ct)
    {
        var running = new List<Task<int>> { ResolveNextAsync(ct) };
        Exception? failed = null;
        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running);
            running.Remove(done);
            int resolved;
            try
            {
                resolved = await done;
            }
            catch (Exception ex)
            {
                // The writes under way finish; no more start until the next wake-up or poll (or, stopping, at all).
                if (ex is not OperationCanceledException)
                {
                    failed ??= ex;
                }

                continue;
            }

            if (failed is null && resolved >= _batchSize && !ct.IsCancellationRequested)
            {
                running.Add(ResolveNextAsync(ct));
                if (running.Count < _resolvers)
                {
                    running.Add(ResolveNextAsync(ct));
                }
            }
        }

        if (failed is not null)
        {
            logger.LogWarning(failed, "Resolving the public doors' requests failed; trying again shortly");
        }
    }

    /// <summary>Resolves the next batch of waiting requests, or, when the batch fails for a reason of its own, the oldest one at a time.</summary>
    private async Task<int> ResolveNextAsync(CancellationToken ct)
    {
        try
        {
            return await registration.ProcessPublicRequestsAsync(_batchSize, SetAside());
        }
        catch (Exception ex) when (!IsDatabaseTrouble(ex) && !ct.IsCancellationRequested)
        {
            // One request the batch cannot resolve must not hold back the others behind it.
            logger.LogWarning(ex, "Resolving a batch of the public doors' requests failed; resolving them one at a time");
            return await ResolveOneAtATimeAsync(ct);
        }
    }

    private IReadOnlyCollection<Guid> SetAside()
    {
        lock (_setAside)
        {
            return _setAside.Count == 0 ? [] : [.. _setAside];
        }
    }

    /// <summary>
    /// Resolves the oldest waiting requests one by one. One that fails for a reason other than the database (a row this
    /// version cannot read, such as a kind only a newer version knows) is set aside: left in the database, for a host
    /// that can resolve it or for an operator, and passed over by this host until it restarts.
    /// </summary>
    private async Task<int> ResolveOneAtATimeAsync(CancellationToken ct)
    {
        var ids = await registration.WaitingPublicRequestsAsync(_batchSize, SetAside());
        foreach (var id in ids)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await registration.ProcessPublicRequestAsync(id);
            }
            catch (Exception ex) when (!IsDatabaseTrouble(ex) && !ct.IsCancellationRequested)
            {
                lock (_setAside)
                {
                    _setAside.Add(id);
                }

                logger.LogError(ex, "The public request {RequestId} cannot be resolved by this host; it stays in the database, passed over until the host restarts", id);
            }
        }

        return ids.Count;
    }

    /// <summary>The database failed (unreachable, busy, timed out), rather than the request: the request is tried again later.</summary>
    internal static bool IsDatabaseTrouble(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
