using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

public sealed class RegistrationOptions : ICheckedOptions<RegistrationOptions>, IValidatableObject
{
    public const string Section = "Registration";

    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromHours(72);

    /// <summary>Shortest time between two resends for one (organization, username).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 1_000_000)]
    public int MaxResendsPerHour { get; set; } = 5;

    /// <summary>Base64 of at least 32 random bytes. When empty, a key is made once and kept in the database, protected by Data Protection.</summary>
    public string? CodeHashKey { get; set; }

    /// <summary>
    /// Wrong codes one client address may try for one user within <see cref="FailedAttemptWindow"/>; then that address
    /// is refused for that user until the window ends. The code itself lives on, so a stranger's guesses never stop the
    /// person who holds it.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>Wrong codes one client address may try, for any users, within <see cref="FailedAttemptWindow"/>.</summary>
    [Range(1, 1_000_000)]
    public int MaxFailedAttemptsPerAddress { get; set; } = 30;

    /// <summary>
    /// Wrong codes in a row, from every address together, after which the user's current code is invalidated (NIST SP
    /// 800-63B allows at most 100). Counted as the wrong tries are processed, moments after they are answered.
    /// </summary>
    [Range(1, 100)]
    public int MaxFailedAttemptsPerCode { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedAttemptWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long the processor of the public doors' requests gathers them after the first arrives, before resolving them in
    /// one write: more requests per write, and the work no longer follows any one request in time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan RequestGatherDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>False keeps this instance from resolving the public doors' requests (another instance on the same database does).</summary>
    public bool RequestProcessorEnabled { get; set; } = true;

    /// <summary>
    /// How often the processor of the public doors' requests looks for requests nobody woke it for (left by a host that
    /// stopped, or recorded by another host); a request recorded on this host wakes it at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RequestPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The <c>rp.id</c> of the registration challenge (a WebAuthn relying party id: a host name). Empty: the request's host.</summary>
    [MaxLength(253)]
    public string? RelyingPartyId { get; set; }

    /// <summary>The <c>rp.name</c> of the registration challenge.</summary>
    [Required]
    [MaxLength(200)]
    public string RelyingPartyName { get; set; } = "RegistrationPortal";

    /// <summary>
    /// Origins, besides <c>Portal:PublicBaseUrl</c>'s, whose pages may create Fido2 credentials for this relying party
    /// (a browser app on another origin of the same site, e.g. <c>https://app.example.com</c>).
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    static IValidateOptions<RegistrationOptions> ICheckedOptions<RegistrationOptions>.Validator { get; } = new RegistrationOptionsValidator();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(CodeHashKey) && !IsKey(CodeHashKey))
        {
            yield return new ValidationResult("must be the base64 of at least 32 random bytes", [nameof(CodeHashKey)]);
        }

        for (var i = 0; i < AllowedOrigins.Length; i++)
        {
            if (Origin(AllowedOrigins[i]) is null)
            {
                yield return new ValidationResult($"'{AllowedOrigins[i]}' is not an origin like https://app.example.com (scheme, host and port only)", [$"{nameof(AllowedOrigins)}:{i}"]);
            }
        }
    }

    private static bool IsKey(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var length) && length >= 32;
    }

    /// <summary>The origin a browser writes in clientDataJSON (<c>https://host[:port]</c>, no path) for an http(s) address; null otherwise.</summary>
    public static string? Origin(string? address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.PathAndQuery is "/" && string.IsNullOrEmpty(uri.UserInfo) && uri.Fragment.Length == 0
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
}

[OptionsValidator]
internal sealed partial class RegistrationOptionsValidator : IValidateOptions<RegistrationOptions>;
