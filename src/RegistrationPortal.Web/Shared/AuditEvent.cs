using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RegistrationPortal.Web.Shared;

public sealed class AuditEvent
{
    /// <summary>The longest <see cref="SubjectId"/> kept (its column's length); a longer one, always a guessed id, is cut.</summary>
    public const int MaxSubjectLength = 64;

    /// <summary>The longest <see cref="Details"/> kept (its column's length); longer ones are cut and end with "…".</summary>
    public const int MaxDetailsLength = 1000;

    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    public string? OrgId { get; init; }

    /// <summary>Dotted action name, e.g. <c>registration.code.sent</c>.</summary>
    public required string Action { get; init; }

    public required string ActorKind { get; init; }

    public string? ActorId { get; init; }

    public string? ClientAddress { get; init; }

    public string? SubjectId { get; init; }

    /// <summary>Short free text; never a code, token or password.</summary>
    public string? Details { get; init; }

    /// <summary>The W3C trace id of the request that caused the event: the same id is in that request's logs and spans.</summary>
    public string? CorrelationId { get; init; }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> e)
    {
        e.Property(a => a.OrgId).HasMaxLength(64);
        e.Property(a => a.Action).HasMaxLength(64);
        e.Property(a => a.ActorKind).HasMaxLength(32);
        e.Property(a => a.ActorId).HasMaxLength(64);
        e.Property(a => a.ClientAddress).HasMaxLength(64);
        e.Property(a => a.SubjectId).HasMaxLength(AuditEvent.MaxSubjectLength);
        e.Property(a => a.Details).HasMaxLength(AuditEvent.MaxDetailsLength);
        e.Property(a => a.CorrelationId).HasMaxLength(64).IsUnicode(false);
        e.HasIndex(a => new { a.OrgId, a.At });

        // The audit page filters by action, by actor and by date; a user's page lists that user's events.
        e.HasIndex(a => new { a.OrgId, a.Action, a.At });
        e.HasIndex(a => new { a.OrgId, a.ActorId, a.At });
        e.HasIndex(a => new { a.OrgId, a.ActorKind, a.At });
        e.HasIndex(a => new { a.SubjectId, a.At });

        // Retention deletes the oldest events first.
        e.HasIndex(a => a.At);
    }
}
