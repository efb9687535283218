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
public sealed class ServiceAccountLimiter(IOptionsMonitor<ServiceAccountOptions> options)
    : AddressLimiter(() => (options.CurrentValue.RateLimit.PermitLimit, options.CurrentValue.RateLimit.Window), segmentsPerWindow: 6);
