using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// What the per-user resend limits count, per (organization, normalized username): the last resend, and the resends of
/// the hour that began at the window's start. Two tables keep it: <see cref="ResendThrottle"/> and <see cref="AdminResendThrottle"/>.
/// </summary>
public abstract class ResendCounter
{
    public required string OrgId { get; init; }

    public required string NormalizedUsername { get; init; }

    public DateTimeOffset LastRequestAt { get; set; }

    public DateTimeOffset WindowStartedAt { get; set; }

    public int WindowCount { get; set; }

    /// <summary>The key, the columns' sizes, and the index retention deletes by (the counters that no longer hold anyone back, oldest first).</summary>
    internal static void Configure<T>(EntityTypeBuilder<T> e)
        where T : ResendCounter
    {
        e.HasKey(t => new { t.OrgId, t.NormalizedUsername });
        e.Property(t => t.OrgId).HasMaxLength(64);
        e.Property(t => t.NormalizedUsername).HasMaxLength(EmailAddress.MaxLength);
        e.HasIndex(t => t.LastRequestAt);
    }
}

/// <summary>
/// The public doors' resend throttle counter, kept whether or not the user exists; only the public doors' own requests
/// count on it, so nothing else (an admin's resend, which only an existing user gets) shows in their answers.
/// </summary>
public sealed class ResendThrottle : ResendCounter;

/// <summary>
/// The admins' resends per user (the portal's single and bulk resends), counted apart from the public doors'
/// (<see cref="ResendThrottle"/>): the portal's cooldown warning and bulk resend's "sent too recently" read both.
/// </summary>
public sealed class AdminResendThrottle : ResendCounter;

internal sealed class ResendThrottleConfiguration : IEntityTypeConfiguration<ResendThrottle>
{
    public void Configure(EntityTypeBuilder<ResendThrottle> e) => ResendCounter.Configure(e);
}

internal sealed class AdminResendThrottleConfiguration : IEntityTypeConfiguration<AdminResendThrottle>
{
    public void Configure(EntityTypeBuilder<AdminResendThrottle> e) => ResendCounter.Configure(e);
}
