using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Operations;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The self-service page's per-client-address limit. The page is a Razor component, not a minimal API
/// endpoint, so it asks this limiter itself when a form is posted (opening the page costs nothing).
/// </summary>
public sealed class SelfServiceLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly PortalTelemetry _telemetry;

    public SelfServiceLimiter(IOptions<ApiOptions> options, PortalTelemetry telemetry)
    {
        _telemetry = telemetry;
        var limits = options.Value.RateLimit;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = limits.PermitLimit,
            Window = limits.Window,
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));
    }

    /// <summary>Null when the address may post now, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string? clientAddress)
    {
        using var lease = _limiter.AttemptAcquire(clientAddress ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }

        _telemetry.ThrottleRejection("per_address", ActorKind.SelfService);
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _limiter.Dispose();
}
