using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>The codes as the outbox dispatcher reads them (see <see cref="IOutboxCodes"/>).</summary>
internal sealed class OutboxCodes : IOutboxCodes
{
    public IQueryable<OutboxCodeState> States(PortalDbContext db) =>
        db.RegistrationCodes.Select(c => new OutboxCodeState
        {
            Id = c.Id,
            ExpiresAt = c.ExpiresAt,
            Outstanding = c.UsedAt == null && c.InvalidatedAt == null,
        });
}
