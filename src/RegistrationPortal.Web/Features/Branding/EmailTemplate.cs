using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>How an organization presents itself in its registration emails and on the public pages opened with its id.</summary>
public sealed class OrganizationBranding
{
    public required string OrgId { get; init; }

    /// <summary>The name people read; the organization's own name when null.</summary>
    public string? DisplayName { get; set; }

    /// <summary><c>#rrggbb</c>, dark enough for white text on it.</summary>
    public string? PrimaryColor { get; set; }

    /// <summary>An email address or an http(s) address where people get help.</summary>
    public string? SupportContact { get; set; }

    /// <summary>The display name of the emails' sender (the address itself stays the host's).</summary>
    public string? SenderName { get; set; }

    public string? ReplyTo { get; set; }

    /// <summary>The logo as uploaded (PNG, JPEG, or SVG without script), at most <see cref="BrandingRules.MaxLogoBytes"/>.</summary>
    public byte[]? Logo { get; set; }

    public string? LogoContentType { get; set; }

    /// <summary>A digest of the logo: part of its address, so a changed logo is a new address and the old one may be cached for good.</summary>
    public string? LogoVersion { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An organization's own subject and body for one kind of registration email (Liquid, rendered with Fluid).</summary>
public sealed class EmailTemplate
{
    public required string OrgId { get; init; }

    public EmailKind Kind { get; init; }

    public required string Subject { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class EmailTemplateConfiguration : IEntityTypeConfiguration<EmailTemplate>
{
    public void Configure(EntityTypeBuilder<EmailTemplate> e)
    {
        e.HasKey(t => new { t.OrgId, t.Kind });
        e.Property(t => t.OrgId).HasMaxLength(40).IsUnicode(false);
        e.Property(t => t.Subject).HasMaxLength(EmailTemplates.MaxSubjectLength);
        e.Property(t => t.Body).HasMaxLength(EmailTemplates.MaxBodyLength);
        e.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrgId).OnDelete(DeleteBehavior.Cascade);
    }
}
