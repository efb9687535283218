using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RegistrationPortal.Web.Data;

/// <summary>A person who signs in to the admin portal: an org admin of one organization, or a platform admin.</summary>
public sealed class PortalUser : IdentityUser
{
    /// <summary>The organization an org admin belongs to; null for platform admins.</summary>
    public string? OrgId { get; set; }
}

public static class PortalRoles
{
    public const string OrgAdmin = "OrgAdmin";
    public const string PlatformAdmin = "PlatformAdmin";

    /// <summary>The claim that carries an admin's organization in the sign-in cookie.</summary>
    public const string OrgClaim = "portal:org";
}

internal sealed class PortalUserConfiguration : IEntityTypeConfiguration<PortalUser>
{
    public void Configure(EntityTypeBuilder<PortalUser> e)
    {
        e.Property(u => u.OrgId).HaveIdLength();
        e.HasIndex(u => u.OrgId);
    }
}
