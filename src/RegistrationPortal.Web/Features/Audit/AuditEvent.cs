namespace RegistrationPortal.Web.Features.Audit;

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
