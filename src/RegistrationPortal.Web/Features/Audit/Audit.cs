using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Audit;

public static class AuditActions
{
    public const string OrganizationCreated = "organization.created";
    public const string ApplicationCreated = "application.created";
    public const string UserInvited = "user.invited";
    public const string CodeSent = "registration.code.sent";
    public const string ResendSkipped = "registration.code.resend_skipped";
    public const string ResendThrottled = "registration.code.resend_throttled";
    public const string BulkResendStarted = "registration.bulk_resend.started";
    public const string BulkResendFinished = "registration.bulk_resend.finished";
    public const string WrongCode = "registration.code.wrong";
    public const string CodeLocked = "registration.code.locked";
    public const string RegistrationStarted = "registration.started";
    public const string RegistrationCompleted = "registration.completed";
    public const string EmailDelivered = "email.delivered";
    public const string EmailFailed = "email.failed";
    public const string EmailSuperseded = "email.superseded";
    public const string AccessDenied = "portal.access_denied";
    public const string AdminCreated = "admin.created";
}

public static class AuditExtensions
{
    /// <summary>Adds an audit event to the unit of work, so it commits or rolls back with the change it records.</summary>
    public static void Audit(this PortalDbContext db, DateTimeOffset at, string? orgId, string action, Actor actor, string? subjectId, string? details = null) =>
        db.AuditEvents.Add(Event(at, orgId, action, actor, subjectId, details));

    /// <summary>An audit event for a writer that inserts many at once; it must still be written in the transaction of its change.</summary>
    public static AuditEvent Event(DateTimeOffset at, string? orgId, string action, Actor actor, string? subjectId, string? details = null) =>
        new()
        {
            At = at,
            OrgId = orgId,
            Action = action,
            ActorKind = actor.Kind.ToString(),
            ActorId = actor.Id,
            ClientAddress = actor.ClientAddress,
            SubjectId = subjectId,
            Details = details,
        };
}
