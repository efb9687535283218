using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

internal sealed class OrganizationBrandingConfiguration : IEntityTypeConfiguration<OrganizationBranding>
{
    public void Configure(EntityTypeBuilder<OrganizationBranding> e)
    {
        e.HasKey(b => b.OrgId);
        e.Property(b => b.OrgId).HasMaxLength(40).IsUnicode(false);
        e.Property(b => b.DisplayName).HasMaxLength(BrandingRules.MaxNameLength);
        e.Property(b => b.PrimaryColor).HasMaxLength(7).IsUnicode(false);
        e.Property(b => b.SupportContact).HasMaxLength(BrandingRules.MaxContactLength);
        e.Property(b => b.SenderName).HasMaxLength(BrandingRules.MaxNameLength);
        e.Property(b => b.ReplyTo).HasMaxLength(Shared.EmailAddress.MaxLength);
        e.Property(b => b.Logo).HasMaxLength(BrandingRules.MaxLogoBytes);
        e.Property(b => b.LogoContentType).HasMaxLength(32).IsUnicode(false);
        e.Property(b => b.LogoVersion).HasMaxLength(32).IsUnicode(false);
        e.HasOne<Organization>().WithOne().HasForeignKey<OrganizationBranding>(b => b.OrgId).OnDelete(DeleteBehavior.Cascade);
    }
}
