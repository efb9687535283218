using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

public enum UserKind
{
    CustomerEmployee,
    EndUser,
}

/// <summary>A user of an organization; pending until registration completes with a code.</summary>
public sealed class OrgUser
{
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    /// <summary>The email as it was given.</summary>
    public required string Username { get; set; }

    /// <summary><see cref="EmailAddress.Normalize"/> of <see cref="Username"/>; unique per organization.</summary>
    public required string NormalizedUsername { get; set; }

    public UserKind Kind { get; set; }

    public bool IsActive { get; set; } = true;

    public bool IsRegistered { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RegisteredAt { get; set; }

    /// <summary>The language of the user's registration emails (<see cref="Shared.PortalLanguages"/>).</summary>
    public string Language { get; set; } = Shared.PortalLanguages.Default;
}

internal sealed class OrgUserConfiguration : IEntityTypeConfiguration<OrgUser>
{
    public void Configure(EntityTypeBuilder<OrgUser> e)
    {
        e.ToTable("Users");
        e.Property(u => u.Id).HaveIdLength();
        e.Property(u => u.OrgId).HaveIdLength();
        e.Property(u => u.Username).HasMaxLength(EmailAddress.MaxLength);
        e.Property(u => u.NormalizedUsername).HasMaxLength(EmailAddress.MaxLength);
        e.Property(u => u.Language).HasMaxLength(Shared.PortalLanguages.MaxLength).IsUnicode(false);
        e.HasIndex(u => new { u.OrgId, u.NormalizedUsername }).IsUnique();
        e.HasIndex(u => new { u.OrgId, u.CreatedAt });

        // The users page filters by status and sorts by creation or email. One partial index per status and sort
        // lets the first page be read in order without sorting the organization; as each user is in exactly one
        // status, the three together cost what one full index would. The filters are written exactly as
        // OrgUserAdminService's status predicates translate (SQLite uses a partial index only when the query
        // repeats its condition), and are plain SQL that PostgreSQL accepts as well.
        foreach (var (status, filter) in UserStatusIndexes.Filters)
        {
            e.HasIndex(u => new { u.OrgId, u.CreatedAt }, $"IX_Users_{status}_ByCreated").HasFilter(filter);
            e.HasIndex(u => new { u.OrgId, u.NormalizedUsername }, $"IX_Users_{status}_ByEmail").HasFilter(filter);
        }

        e.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrgId);
    }
}
