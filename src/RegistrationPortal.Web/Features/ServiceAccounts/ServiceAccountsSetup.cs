using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

public static class ServiceAccountsSetup
{
    public static IHostApplicationBuilder AddServiceAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<ServiceAccountOptions>(ServiceAccountOptions.Section);
        builder.Services.AddSingleton<ServiceAccountSecrets>();
        builder.Services.AddSingleton<ServiceAccountService>();
        builder.Services.AddSingleton<UsersApiService>();
        builder.Services.AddSingleton<ServiceAccountLimiter>();
        return builder;
    }
}

/// <summary>
/// Requests per service account, in a sliding window, on top of the per-address limiter every <c>/auth</c> call has:
/// one program's loop cannot take the host from the others, wherever it runs from. Counted once the token is known
/// good, so made-up tokens add no partitions.
/// </summary>
public sealed class ServiceAccountLimiter(IOptionsMonitor<ServiceAccountOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(accountId =>
        RateLimitPartition.GetSlidingWindowLimiter(accountId, _ =>
        {
            var limits = options.CurrentValue.RateLimit;
            return new SlidingWindowRateLimiterOptions
            {
                PermitLimit = limits.PermitLimit,
                Window = limits.Window,
                SegmentsPerWindow = 6,
                QueueLimit = 0,
            };
        }));

    /// <summary>Null when the call may go ahead, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string accountId)
    {
        using var lease = _limiter.AttemptAcquire(accountId);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.CurrentValue.RateLimit.Window;
    }

    public void Dispose() => _limiter.Dispose();
}
