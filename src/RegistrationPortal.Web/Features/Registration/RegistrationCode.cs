using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>One issued registration code. Only its keyed hash is stored; the plaintext never is.</summary>
public sealed class RegistrationCode
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    public required byte[] CodeHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? InvalidatedAt { get; set; }

    /// <summary>Why the code stopped being valid before use: replaced, guessing cut-off, user deactivated.</summary>
    public string? InvalidatedReason { get; set; }

    /// <summary>Which door asked for the code (<see cref="ActorKind"/>).</summary>
    public ActorKind IssuedThrough { get; init; }

    /// <summary>Who asked for it: an admin's id, an application id, or empty for self-service.</summary>
    public string? IssuedBy { get; init; }

    /// <summary>Wrong codes tried in a row against this code; reaching the cut-off invalidates it.</summary>
    public int FailedAttempts { get; set; }
}

internal sealed class RegistrationCodeConfiguration : IEntityTypeConfiguration<RegistrationCode>
{
    public void Configure(EntityTypeBuilder<RegistrationCode> e)
    {
        e.Property(c => c.OrgId).HaveIdLength();
        e.Property(c => c.UserId).HaveIdLength();
        e.Property(c => c.CodeHash).HasMaxLength(32);
        e.Property(c => c.InvalidatedReason).HasMaxLength(64);
        e.Property(c => c.IssuedBy).HasMaxLength(64);
        e.HasIndex(c => new { c.UserId, c.CreatedAt });

        // Init looks a typed code up by its keyed hash, so a wrong code misses the same index whoever is asked about.
        e.HasIndex(c => c.CodeHash);

        // Retention finds spent codes by expiry: every code is spent by then at the latest.
        e.HasIndex(c => c.ExpiresAt);
        e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
    }
}
