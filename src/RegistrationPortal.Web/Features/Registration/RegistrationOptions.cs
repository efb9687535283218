using System.ComponentModel.DataAnnotations;

namespace RegistrationPortal.Web.Features.Registration;

public sealed class RegistrationOptions
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

    /// <summary>Wrong codes in a row after which the current code is invalidated.</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The <c>rp.id</c> of the registration challenge (a WebAuthn relying party id: a host name). Empty: the request's host.</summary>
    [MaxLength(253)]
    public string? RelyingPartyId { get; set; }

    /// <summary>The <c>rp.name</c> of the registration challenge.</summary>
    [Required]
    [MaxLength(200)]
    public string RelyingPartyName { get; set; } = "RegistrationPortal";
}
