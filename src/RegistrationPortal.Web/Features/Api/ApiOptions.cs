using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Api;

public sealed class ApiOptions : ICheckedOptions<ApiOptions>
{
    public const string Section = "Api";

    /// <summary>Refuse <c>/auth</c> calls without <c>X-DFNS-APPID</c>. Off by default: today's Dfns SDK does not send it.</summary>
    public bool RequireAppId { get; set; }

    /// <summary>Refuse <c>/auth</c> calls without <c>X-DFNS-NONCE</c>. Off by default: today's Dfns SDK does not send it.</summary>
    public bool RequireNonce { get; set; }

    /// <summary>How far a nonce's date may be from now, either way; used nonces are remembered this long.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan NonceWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Browser origins allowed to call <c>/auth</c> cross-origin. Empty: none.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Largest accepted request body of the <c>/auth</c> calls, in bytes.</summary>
    [Range(256, 1_048_576)]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    [ValidateObjectMembers]
    public ClientRateLimitOptions RateLimit { get; set; } = new();

    static IValidateOptions<ApiOptions> ICheckedOptions<ApiOptions>.Validator { get; } = new ApiOptionsValidator();
}

/// <summary>Requests per client address to the public doors, in a sliding window.</summary>
public sealed class ClientRateLimitOptions
{
    [Range(1, 10_000_000)]
    public int PermitLimit { get; set; } = 120;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

[OptionsValidator]
internal sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>;
