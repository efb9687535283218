using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

public sealed class ServiceAccountOptions : ICheckedOptions<ServiceAccountOptions>
{
    public const string Section = "ServiceAccounts";

    /// <summary>How long a user action challenge may wait to be signed, and a signed user action to be used.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan UserActionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests per service account token to the users API, in a sliding window.</summary>
    [ValidateObjectMembers]
    public TokenRateLimitOptions RateLimit { get; set; } = new();

    static IValidateOptions<ServiceAccountOptions> ICheckedOptions<ServiceAccountOptions>.Validator { get; } = new ServiceAccountOptionsValidator();
}

public sealed class TokenRateLimitOptions
{
    [Range(1, 10_000_000)]
    public int PermitLimit { get; set; } = 600;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

[OptionsValidator]
internal sealed partial class ServiceAccountOptionsValidator : IValidateOptions<ServiceAccountOptions>;
