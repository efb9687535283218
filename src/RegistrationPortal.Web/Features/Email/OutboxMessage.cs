using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

public enum OutboxStatus
{
    Pending,
    Sent,

    /// <summary>Gave up after the configured number of attempts.</summary>
    Failed,

    /// <summary>Its code was replaced, used or expired before it could be sent: not sent at all.</summary>
    Superseded,
}

/// <summary>An email waiting to be sent, written in the same transaction as the change that needs it.</summary>
public sealed class OutboxMessage
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    public Guid? CodeId { get; init; }

    public EmailKind Kind { get; init; }

    public required string ToAddress { get; set; }

    /// <summary>The message's secret content (the plaintext code), encrypted with Data Protection; erased once sent.</summary>
    public string? ProtectedPayload { get; set; }

    public OutboxStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// When the message is due. While a dispatcher has claimed it, when that claim lapses: a dispatcher that dies
    /// mid-batch leaves its messages due again at this time, and another takes them over.
    /// </summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The claim of the dispatcher sending the message now (one per claimed batch); null when none holds it.</summary>
    public Guid? ClaimToken { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the request that queued the message: its delivery continues that trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// A message due now, carrying the trace it is queued in (<paramref name="traceParent"/>, or the current activity's)
    /// so that its delivery continues that trace.
    /// </summary>
    public static OutboxMessage Queued(DateTimeOffset now, string orgId, string userId, EmailKind kind, string toAddress, string? protectedPayload, Guid? codeId = null, string? traceParent = null) => new()
    {
        Id = Guid.CreateVersion7(now),
        OrgId = orgId,
        UserId = userId,
        CodeId = codeId,
        Kind = kind,
        ToAddress = toAddress,
        ProtectedPayload = protectedPayload,
        Status = OutboxStatus.Pending,
        CreatedAt = now,
        NextAttemptAt = now,
        TraceParent = traceParent ?? System.Diagnostics.Activity.Current?.Id,
    };
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> e)
    {
        e.Property(m => m.OrgId).HaveIdLength();
        e.Property(m => m.UserId).HaveIdLength();
        e.Property(m => m.ToAddress).HasMaxLength(EmailAddress.MaxLength);
        e.Property(m => m.LastError).HasMaxLength(500);
        e.Property(m => m.TraceParent).HasMaxLength(64).IsUnicode(false);
        e.HasIndex(m => new { m.Status, m.NextAttemptAt });
        e.HasIndex(m => m.UserId);

        // The backlog gauges (count and oldest of Pending) and retention (finished rows by age) seek on it.
        e.HasIndex(m => new { m.Status, m.CreatedAt });

        // The dashboard's queue and failures of one organization: without it, a backlog of other organizations'
        // mail is read through to find this one's.
        e.HasIndex(m => new { m.OrgId, m.Status, m.CreatedAt });
    }
}
