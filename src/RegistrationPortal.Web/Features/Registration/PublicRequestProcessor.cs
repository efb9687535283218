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
/// are resolved. One write at a time: two writes resolving requests of the same user side by side issue that user's
/// codes moments apart, and their mails can then reach the user in the wrong order (the last one read carrying a code
/// already replaced). On PostgreSQL each write takes requests no other host's write holds.
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

    private readonly int _batchSize = BatchSizeFor(database);

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

    /// <summary>Resolves every waiting request; what was recorded before a stop is resolved at the next start.</summary>
    private async Task DrainAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                int resolved;
                try
                {
                    resolved = await registration.ProcessPublicRequestsAsync(_batchSize, _setAside);
                }
                catch (Exception ex) when (!IsDatabaseTrouble(ex) && !ct.IsCancellationRequested)
                {
                    // One request the batch cannot resolve must not hold back the others behind it.
                    logger.LogWarning(ex, "Resolving a batch of the public doors' requests failed; resolving them one at a time");
                    resolved = await ResolveOneAtATimeAsync(ct);
                }

                if (resolved < _batchSize)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Resolving the public doors' requests failed; trying again shortly");
        }
    }

    /// <summary>
    /// Resolves the oldest waiting requests one by one. One that fails for a reason other than the database (a row this
    /// version cannot read, such as a kind only a newer version knows) is set aside: left in the database, for a host
    /// that can resolve it or for an operator, and passed over by this host until it restarts.
    /// </summary>
    private async Task<int> ResolveOneAtATimeAsync(CancellationToken ct)
    {
        var ids = await registration.WaitingPublicRequestsAsync(_batchSize, _setAside);
        foreach (var id in ids)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await registration.ProcessPublicRequestAsync(id);
            }
            catch (Exception ex) when (!IsDatabaseTrouble(ex) && !ct.IsCancellationRequested)
            {
                _setAside.Add(id);
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
