using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>
/// The registration codes as the dispatcher reads them: a message whose code was used or invalidated is skipped, and an
/// email says when its code expires. Registration owns the codes and sits above Email, so it registers this; the query
/// is composed into the dispatcher's own, so it costs no extra round trip.
/// </summary>
public interface IOutboxCodes
{
    IQueryable<OutboxCodeState> States(PortalDbContext db);
}

/// <summary>One code as an outbox message needs it.</summary>
public sealed class OutboxCodeState
{
    public Guid Id { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Neither used nor invalidated.</summary>
    public bool Outstanding { get; init; }
}
