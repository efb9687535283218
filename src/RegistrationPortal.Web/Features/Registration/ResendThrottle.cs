namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Resend throttle counter per (organization, normalized username), kept whether or not the user exists.</summary>
public sealed class ResendThrottle
{
    public required string OrgId { get; init; }

    public required string NormalizedUsername { get; init; }

    public DateTimeOffset LastRequestAt { get; set; }

    public DateTimeOffset WindowStartedAt { get; set; }

    public int WindowCount { get; set; }
}
