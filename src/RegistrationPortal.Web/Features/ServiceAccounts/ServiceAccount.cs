using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

public sealed class ServiceAccountConfiguration : IEntityTypeConfiguration<ServiceAccount>
{
    public void Configure(EntityTypeBuilder<ServiceAccount> builder)
    {
        var e = builder;
        e.ToTable("ServiceAccounts");
        e.Property(a => a.Id).HasMaxLength(40).IsUnicode(false);
        e.Property(a => a.OrgId).HasMaxLength(40).IsUnicode(false);
        e.Property(a => a.Name).HasMaxLength(200);
        e.Property(a => a.CredId).HasMaxLength(64).IsUnicode(false);
        e.Property(a => a.PublicKeyPem).HasMaxLength(1024).IsUnicode(false);
        e.Property(a => a.TokenHash).HasMaxLength(32);

        // Every call finds its account by the token's hash.
        e.HasIndex(a => a.TokenHash).IsUnique();
        e.HasIndex(a => new { a.OrgId, a.CreatedAt });
        e.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrgId);
    }
}
