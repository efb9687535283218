using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// Work a public door recorded and answered without looking at who the user is. The public doors do the same work for
/// every request (check the limits, record this row, answer), so neither the answer nor its timing depends on whether
/// the account exists; <see cref="PublicRequestProcessor"/> resolves the rows afterwards through the
/// <see cref="RegistrationService"/>.
/// </summary>
public sealed class PublicRequest
{
    public Guid Id { get; init; }

    public PublicRequestKind Kind { get; init; }

    /// <summary>As given: a well-formed organization id, which may name no organization.</summary>
    public required string OrgId { get; init; }

    public required string NormalizedUsername { get; init; }

    public ActorKind ActorKind { get; init; }

    public string? ActorId { get; init; }

    public string? ClientAddress { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The asking request's correlation id, for the audit events the processing writes.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The asking request's W3C trace parent, carried on to the email it causes.</summary>
    public string? TraceParent { get; init; }

    public static PublicRequest Of(PublicRequestKind kind, string orgId, string normalizedUsername, Actor actor, DateTimeOffset at, string? correlationId, string? traceParent = null) => new()
    {
        Id = Guid.CreateVersion7(at),
        Kind = kind,
        OrgId = orgId,
        NormalizedUsername = normalizedUsername,
        ActorKind = actor.Kind,
        ActorId = actor.Id,
        ClientAddress = actor.ClientAddress,
        CreatedAt = at,
        CorrelationId = correlationId,
        TraceParent = traceParent,
    };
}

/// <summary>
/// Wrong codes tried from one client address, per (organization, username, address), and per address alone (with the
/// organization and username empty). Kept whether or not the user exists, so the limits answer alike for everyone, and
/// per address, so that a stranger's wrong codes never stop the person who holds the right one.
/// </summary>
public sealed class CodeAttemptCounter
{
    public required string OrgId { get; init; }

    public required string NormalizedUsername { get; init; }

    public required string ClientAddress { get; init; }

    public int Failures { get; set; }

    public DateTimeOffset WindowStartedAt { get; set; }

    public DateTimeOffset LastFailureAt { get; set; }
}

internal sealed class CodeAttemptCounterConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<CodeAttemptCounter>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<CodeAttemptCounter> e)
    {
        e.HasKey(c => new { c.OrgId, c.NormalizedUsername, c.ClientAddress });
        e.Property(c => c.OrgId).HasMaxLength(64);
        e.Property(c => c.NormalizedUsername).HasMaxLength(Shared.EmailAddress.MaxLength);
        e.Property(c => c.ClientAddress).HasMaxLength(64);

        // Retention deletes the counters whose window has ended, oldest first.
        e.HasIndex(c => c.LastFailureAt);
    }
}
