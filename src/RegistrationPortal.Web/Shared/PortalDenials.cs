using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Shared;

/// <summary>The audit trail of refused portal requests: a guessed id gets "not found", and the attempt is recorded.</summary>
internal static class PortalDenials
{
    private const int MaxSubjectLength = 64;

    /// <summary>Records <see cref="AuditActions.AccessDenied"/> under the organization the admin acted in (null when they have none).</summary>
    public static Task<bool> AuditAsync(WriteQueue writes, TimeProvider time, string? orgId, Actor actor, string? subjectId, string details) =>
        writes.ExecuteAsync(db =>
        {
            var subject = subjectId is null ? null : subjectId[..Math.Min(subjectId.Length, MaxSubjectLength)];
            db.Audit(time.GetUtcNow(), orgId, AuditActions.AccessDenied, actor, subject, details);
            return Task.FromResult(true);
        });
}
