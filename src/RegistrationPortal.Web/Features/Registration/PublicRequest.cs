using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

public enum PublicRequestKind
{
    /// <summary>A resend asked for through a public door: resolved and, for a pending user, a code issued.</summary>
    Resend,

    /// <summary>A wrong code tried at init: counted against the code it was tried on, if there was one.</summary>
    WrongCode,
}

internal sealed class PublicRequestConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<PublicRequest>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<PublicRequest> e)
    {
        e.Property(r => r.OrgId).HasMaxLength(64);
        e.Property(r => r.NormalizedUsername).HasMaxLength(Shared.EmailAddress.MaxLength);
        e.Property(r => r.ActorId).HasMaxLength(64);
        e.Property(r => r.ClientAddress).HasMaxLength(64);
        e.Property(r => r.CorrelationId).HasMaxLength(64).IsUnicode(false);
        e.Property(r => r.TraceParent).HasMaxLength(64).IsUnicode(false);
    }
}
