using System.Threading.RateLimiting;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// A sliding-window limit per key, asked by the code it guards rather than by the rate-limiting middleware. For a page
/// that asks it when its form is posted (a Razor component's post never meets the middleware's endpoint metadata) the
/// key is the client address: the connection's, or the client's as a trusted proxy forwarded it
/// (<c>ForwardedHeaders</c>). For the users API it is the service account, known only once its token is checked.
/// </summary>
public abstract class AddressLimiter : IDisposable
{
    private readonly Func<TimeSpan> _wait;
    private readonly PartitionedRateLimiter<string> _limiter;

    /// <summary>
    /// Limits from the settings; a refused key is told to wait the window (a sliding window's refusal carries no
    /// retry-after, and the window is when all of a burst's requests have left it).
    /// </summary>
    /// <param name="limits">Read whenever a key gets its window (first seen, or seen again after its window went idle), so a
    /// changed setting reaches the keys that start counting after it.</param>
    protected AddressLimiter(Func<(int PermitLimit, TimeSpan Window)> limits, int segmentsPerWindow)
    {
        _wait = () => limits().Window;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ =>
        {
            var (permitLimit, window) = limits();
            return new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permitLimit,
                Window = window,
                SegmentsPerWindow = segmentsPerWindow,
                QueueLimit = 0,
            };
        }));
    }

    /// <summary>Null when <paramref name="key"/> (a client address, null when unknown; a service account) may go on now, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string? key)
    {
        using var lease = _limiter.AttemptAcquire(key ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        OnRejected();
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _wait();
    }

    public void Dispose()
    {
        _limiter.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Called for each refusal (for a metric).</summary>
    protected virtual void OnRejected()
    {
    }
}
