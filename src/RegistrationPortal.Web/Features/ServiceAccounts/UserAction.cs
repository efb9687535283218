using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>
/// A program's identity in one organization: it calls the users API with its bearer token and signs every changing
/// call with the private key of <see cref="PublicKeyPem"/>. Only the token's keyed hash is stored.
/// </summary>
public sealed class ServiceAccount
{
    public const string IdPrefix = "sa";

    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string Name { get; init; }

    /// <summary>The credential id the program's signer sends with each signature (base64url, made by the host).</summary>
    public required string CredId { get; init; }

    /// <summary>The P-256 public key, as SubjectPublicKeyInfo PEM.</summary>
    public required string PublicKeyPem { get; init; }

    /// <summary>HMAC-SHA-256 of the bearer token under a key derived from the server's code-hashing key.</summary>
    public required byte[] TokenHash { get; init; }

    /// <summary>Users write: may invite, deactivate and reactivate; without it the account only reads.</summary>
    public bool CanWrite { get; init; }

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the token stops working; null: until deactivated.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>
/// One signed user action, from <c>POST /auth/action/init</c> to the changing call it is spent on: bound to that call's
/// method, path and exact body, signed once, used once, short-lived. The challenge identifier and the token are
/// stored as keyed hashes.
/// </summary>
public sealed class UserAction
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string ServiceAccountId { get; init; }

    public required byte[] ChallengeIdentifierHash { get; init; }

    /// <summary>What the signer signs (inside its clientData); not a secret.</summary>
    public required string Challenge { get; init; }

    public required string HttpMethod { get; init; }

    public required string HttpPath { get; init; }

    /// <summary>SHA-256 of the exact body text the action was asked for.</summary>
    public required byte[] PayloadHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The challenge's expiry until it is signed, then the token's.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? SignedAt { get; set; }

    /// <summary>The keyed hash of the <c>X-DFNS-USERACTION</c> token, once signed.</summary>
    public byte[]? TokenHash { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}

public sealed class UserActionConfiguration : IEntityTypeConfiguration<UserAction>
{
    public void Configure(EntityTypeBuilder<UserAction> builder)
    {
        var e = builder;
        e.ToTable("UserActions");
        e.Property(a => a.OrgId).HasMaxLength(40).IsUnicode(false);
        e.Property(a => a.ServiceAccountId).HasMaxLength(40).IsUnicode(false);
        e.Property(a => a.ChallengeIdentifierHash).HasMaxLength(32);
        e.Property(a => a.Challenge).HasMaxLength(64).IsUnicode(false);
        e.Property(a => a.HttpMethod).HasMaxLength(8).IsUnicode(false);
        e.Property(a => a.HttpPath).HasMaxLength(UserActions.MaxPathLength).IsUnicode(false);
        e.Property(a => a.PayloadHash).HasMaxLength(32);
        e.Property(a => a.TokenHash).HasMaxLength(32);
        e.HasIndex(a => a.ChallengeIdentifierHash).IsUnique();
        e.HasIndex(a => a.TokenHash).IsUnique();

        // Each new challenge clears its account's expired ones.
        e.HasIndex(a => new { a.ServiceAccountId, a.ExpiresAt });
        e.HasOne<ServiceAccount>().WithMany().HasForeignKey(a => a.ServiceAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}
