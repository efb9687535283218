using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>A request nonce already accepted; kept while its date is inside the window, then pruned.</summary>
public sealed class UsedNonce
{
    /// <summary>SHA-256 of the nonce's uuid, hex: bounded size whatever the client sends.</summary>
    public required string Key { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }
}

internal sealed class UsedNonceConfiguration : IEntityTypeConfiguration<UsedNonce>
{
    public void Configure(EntityTypeBuilder<UsedNonce> e)
    {
        e.HasKey(n => n.Key);
        e.Property(n => n.Key).HasMaxLength(64);
        e.HasIndex(n => n.ExpiresAt);
    }
}
