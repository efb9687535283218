using System.Threading.RateLimiting;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// A sliding-window limit per client address, for a page that asks it itself when its form is posted (a Razor
/// component's post never meets the rate-limiting middleware's endpoint metadata). The address is the connection's, or
/// the client's as a trusted proxy forwarded it (<c>ForwardedHeaders</c>).
/// </summary>
public abstract class AddressLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    protected AddressLimiter(int permitLimit, TimeSpan window, int segmentsPerWindow) =>
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            SegmentsPerWindow = segmentsPerWindow,
            QueueLimit = 0,
        }));

    /// <summary>Null when the address may post now, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string? clientAddress)
    {
        using var lease = _limiter.AttemptAcquire(clientAddress ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        OnRejected();
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose()
    {
        _limiter.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Called for each refused post (for a metric).</summary>
    protected virtual void OnRejected()
    {
    }
}
