using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Web.Features.Registration;

internal sealed class RegistrationChallengeConfiguration : IEntityTypeConfiguration<RegistrationChallenge>
{
    public void Configure(EntityTypeBuilder<RegistrationChallenge> e)
    {
        e.Property(c => c.OrgId).HaveIdLength();
        e.Property(c => c.UserId).HaveIdLength();
        e.Property(c => c.Challenge).HasMaxLength(64).IsUnicode(false);
        e.HasIndex(c => new { c.UserId, c.CreatedAt });
        e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
        e.HasOne<RegistrationCode>().WithMany().HasForeignKey(c => c.CodeId);
    }
}
