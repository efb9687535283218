using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Organizations;

public sealed class Organization
{
    public required string Id { get; init; }

    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> e)
    {
        e.Property(o => o.Id).HaveIdLength();
        e.Property(o => o.Name).HasMaxLength(200);
    }
}
