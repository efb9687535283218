using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Shared;

public static class AuditActions
{
    public const string OrganizationCreated = "organization.created";
    public const string OrganizationDeleted = "organization.deleted";
    public const string ApplicationCreated = "application.created";
    public const string ApplicationDeactivated = "application.deactivated";
    public const string ApplicationReactivated = "application.reactivated";
    public const string UserInvited = "user.invited";
    public const string UserDeactivated = "user.deactivated";
    public const string UserReactivated = "user.reactivated";
    public const string UserEmailCorrected = "user.email_corrected";
    public const string UserLanguageChanged = "user.language_changed";
    public const string BrandingChanged = "branding.changed";
    public const string BrandingLogoChanged = "branding.logo_changed";
    public const string EmailTemplateChanged = "branding.template_changed";
    public const string TestEmailQueued = "branding.test_email_queued";
    public const string CodeSent = "registration.code.sent";
    public const string ResendSkipped = "registration.code.resend_skipped";
    public const string ResendThrottled = "registration.code.resend_throttled";
    public const string ResendCooldownOverridden = "registration.code.cooldown_overridden";
    public const string BulkResendStarted = "registration.bulk_resend.started";
    public const string BulkResendFinished = "registration.bulk_resend.finished";
    public const string WrongCode = "registration.code.wrong";
    public const string CodeLocked = "registration.code.locked";
    public const string ExpiredCodeTyped = "registration.code.expired_typed";
    public const string RegistrationStarted = "registration.started";
    public const string RegistrationCompleted = "registration.completed";
    public const string EmailDelivered = "email.delivered";
    public const string EmailFailed = "email.failed";
    public const string EmailSuperseded = "email.superseded";
    public const string AccessDenied = "portal.access_denied";
    public const string AdminCreated = "admin.created";
    public const string AdminDisabled = "admin.disabled";
    public const string AdminEnabled = "admin.enabled";
    public const string AdminRemoved = "admin.removed";
    public const string AdminInvited = "admin.invited";
    public const string AdminPasswordResetRequested = "admin.password_reset_requested";
    public const string AdminPasswordReset = "admin.password_reset";
    public const string AdminPasswordChanged = "admin.password_changed";
    public const string AdminTwoFactorEnabled = "admin.two_factor_enabled";
    public const string AdminTwoFactorDisabled = "admin.two_factor_disabled";
    public const string AdminAuthenticatorReset = "admin.authenticator_reset";
    public const string AdminRecoveryCodesGenerated = "admin.recovery_codes_generated";
    public const string AdminRecoveryCodeUsed = "admin.recovery_code_used";
    public const string AdminPasskeyAdded = "admin.passkey_added";
    public const string AdminPasskeyRenamed = "admin.passkey_renamed";
    public const string AdminPasskeyRemoved = "admin.passkey_removed";
    public const string AdminLockedOut = "admin.locked_out";
    public const string RetentionPruned = "retention.pruned";
    public const string DatabaseRestored = "database.restored";
    public const string MailboxViewed = "mailbox.viewed";
    public const string ServiceAccountCreated = "service_account.created";
    public const string ServiceAccountDeactivated = "service_account.deactivated";
    public const string ServiceAccountReactivated = "service_account.reactivated";
    public const string UsersListed = "api.users.listed";
    public const string UserRead = "api.user.read";

    /// <summary>Every action above, sorted: what the audit page offers as a filter. Read from the constants, so a new action appears by itself.</summary>
    public static IReadOnlyList<string> All { get; } = typeof(AuditActions)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToList();
}

public static class AuditExtensions
{
    /// <summary>Adds an audit event to the unit of work, so it commits or rolls back with the change it records.</summary>
    public static void Audit(this PortalDbContext db, DateTimeOffset at, string? orgId, string action, Actor actor, string? subjectId, string? details = null) =>
        db.AuditEvents.Add(Event(at, orgId, action, actor, subjectId, details, db.CorrelationId));

    /// <summary>
    /// An audit event for a writer that inserts many at once; it must still be written in the transaction of its change.
    /// The subject and details are cut to their columns here, so no caller has to.
    /// </summary>
    public static AuditEvent Event(DateTimeOffset at, string? orgId, string action, Actor actor, string? subjectId, string? details = null, string? correlationId = null) =>
        new()
        {
            At = at,
            OrgId = orgId,
            Action = action,
            ActorKind = actor.Kind.ToString(),
            ActorId = actor.Id,
            ClientAddress = actor.ClientAddress,
            SubjectId = subjectId is { Length: > AuditEvent.MaxSubjectLength } ? Cut(subjectId, AuditEvent.MaxSubjectLength) : subjectId,
            Details = details is { Length: > AuditEvent.MaxDetailsLength } ? Cut(details, AuditEvent.MaxDetailsLength - 1) + "…" : details,
            CorrelationId = correlationId ?? PortalTelemetry.CurrentCorrelationId(),
        };

    /// <summary>The first <paramref name="length"/> characters, one fewer if the cut would split a character in two (half of it is not text: PostgreSQL refuses it).</summary>
    private static string Cut(string text, int length) => char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];
}
