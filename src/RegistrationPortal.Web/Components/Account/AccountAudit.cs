using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Records what an admin changed on their own account (password, second factor, recovery codes, passkeys), and a lockout
/// their wrong second-factor codes caused, in their organization's audit trail (the platform's for a platform admin),
/// the admin as actor and subject. Identity saves the change itself; the event is written right after it succeeds, as
/// the password reset's is.
/// </summary>
public sealed class AccountAudit(WriteQueue writes, TimeProvider time)
{
    public Task RecordAsync(HttpContext context, PortalUser user, string action, string? details = null) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), user.OrgId, action, Actor.Admin(user.Id, context.Connection.RemoteIpAddress?.ToString()), user.Id, details);
            return Task.FromResult(true);
        });
}
