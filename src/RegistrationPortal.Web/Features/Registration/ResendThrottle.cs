using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Shared;

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

internal sealed class ResendThrottleConfiguration : IEntityTypeConfiguration<ResendThrottle>
{
    public void Configure(EntityTypeBuilder<ResendThrottle> e)
    {
        e.HasKey(t => new { t.OrgId, t.NormalizedUsername });
        e.Property(t => t.OrgId).HasMaxLength(64);
        e.Property(t => t.NormalizedUsername).HasMaxLength(EmailAddress.MaxLength);

        // Retention deletes the counters that no longer hold anyone back, oldest first.
        e.HasIndex(t => t.LastRequestAt);
    }
}
