using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// The sign-in form's per-client-address limit. The login page is a Razor component, so, like the self-service page,
/// it asks this limiter itself when its form is posted, before any password is checked (opening the page costs
/// nothing). Every post counts, right password or wrong, so fifty posts at once spend no more than the limit.
/// The address is the connection's, or the client's as a trusted proxy forwarded it (<c>ForwardedHeaders</c>).
/// </summary>
public sealed class SignInLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public SignInLimiter(IOptions<PortalIdentityOptions> options)
    {
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = settings.SignInPermitLimit,
            Window = settings.SignInWindow,
            SegmentsPerWindow = 5,
            QueueLimit = 0,
        }));
    }

    /// <summary>Null when the address may post the sign-in form now, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string? clientAddress)
    {
        using var lease = _limiter.AttemptAcquire(clientAddress ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _limiter.Dispose();
}
