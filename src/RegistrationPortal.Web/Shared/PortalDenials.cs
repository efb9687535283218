using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Shared;

/// <summary>The audit trail of refused portal requests: a guessed id gets "not found", and the attempt is recorded.</summary>
internal static class PortalDenials
{
    /// <summary>Records <see cref="AuditActions.AccessDenied"/> under the organization the admin acted in (null when they have none).</summary>
    public static Task<bool> AuditAsync(WriteQueue writes, TimeProvider time, string? orgId, Actor actor, string? subjectId, string details) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), orgId, AuditActions.AccessDenied, actor, subjectId, details);
            return Task.FromResult(true);
        });
}
