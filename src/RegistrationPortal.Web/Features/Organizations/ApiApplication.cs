using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>An API application of an organization: the id that clients send as <c>X-DFNS-APPID</c>.</summary>
public sealed class ApiApplication
{
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string Name { get; set; }

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class ApiApplicationConfiguration : IEntityTypeConfiguration<ApiApplication>
{
    public void Configure(EntityTypeBuilder<ApiApplication> e)
    {
        e.Property(a => a.Id).HaveIdLength();
        e.Property(a => a.OrgId).HaveIdLength();
        e.Property(a => a.Name).HasMaxLength(200);
        e.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrgId);
    }
}
