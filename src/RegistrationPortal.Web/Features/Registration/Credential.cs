using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// One registration started by a right code: the challenge the new credential must sign. The temporary token's
/// <c>jti</c> is this row's id, so the token is single use through <see cref="ConsumedAt"/>, whatever its expiry.
/// </summary>
public sealed class RegistrationChallenge
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    /// <summary>The code that opened it; completion consumes that code.</summary>
    public Guid CodeId { get; init; }

    /// <summary>Base64url of 32 random bytes, as handed to the client.</summary>
    public required string Challenge { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? ConsumedAt { get; set; }
}

/// <summary>
/// A user's registered credential: a <c>Key</c> (a public key the client made, as PEM) or a <c>Fido2</c> passkey (a
/// WebAuthn credential: its COSE public key, sign count, authenticator model and transports).
/// </summary>
public sealed class Credential
{
    /// <summary>A <c>cr-</c> id: the <c>uuid</c> of the registration answer.</summary>
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    /// <summary><c>Key</c> or <c>Fido2</c>.</summary>
    public required string Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>The client's base64url credential id; unique per organization.</summary>
    public required string CredId { get; init; }

    /// <summary>Key credentials: the SPKI PEM exactly as the client sent it.</summary>
    public string? PublicKeyPem { get; init; }

    /// <summary>Fido2 credentials: the credential public key as the authenticator gave it (COSE_Key).</summary>
    public byte[]? PublicKeyCose { get; init; }

    /// <summary>Fido2 credentials: the authenticator's signature counter at registration.</summary>
    public long SignCount { get; init; }

    /// <summary>Fido2 credentials: the authenticator model's AAGUID (all zeros when the authenticator does not say).</summary>
    public Guid? Aaguid { get; init; }

    /// <summary>Fido2 credentials: the attestation statement format (<c>none</c>, <c>packed</c>, …).</summary>
    public string? AttestationFormat { get; init; }

    /// <summary>Fido2 credentials: the transports the browser reported, comma separated (<c>internal,hybrid</c>), or null.</summary>
    public string? Transports { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class CredentialConfiguration : IEntityTypeConfiguration<Credential>
{
    public void Configure(EntityTypeBuilder<Credential> e)
    {
        e.Property(c => c.Id).HaveIdLength();
        e.Property(c => c.OrgId).HaveIdLength();
        e.Property(c => c.UserId).HaveIdLength();
        e.Property(c => c.Kind).HasMaxLength(32);
        e.Property(c => c.Name).HasMaxLength(200);
        e.Property(c => c.CredId).HasMaxLength(512).IsUnicode(false);
        e.Property(c => c.PublicKeyPem).HasMaxLength(4096);
        e.Property(c => c.PublicKeyCose).HasMaxLength(2048);
        e.Property(c => c.AttestationFormat).HasMaxLength(32).IsUnicode(false);
        e.Property(c => c.Transports).HasMaxLength(128).IsUnicode(false);

        // Dfns credential ids are unique per organization; the index also makes the completion's check a seek.
        e.HasIndex(c => new { c.OrgId, c.CredId }).IsUnique();
        e.HasIndex(c => c.UserId);
        e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
    }
}
