using System.Text.RegularExpressions;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// An audit event's details as a person reads them: the stored text keeps machine forms (ISO times to the tick, the
/// door's enum name), which the pages turn into the admin's local time and plain words when they show it.
/// </summary>
public static partial class AuditText
{
    private static readonly Dictionary<string, string> Doors = new(StringComparer.Ordinal)
    {
        ["through Admin"] = "through the portal",
        ["through SelfService"] = "through the self-service page",
        ["through ApiApplication"] = "through the API",
        ["through System"] = "by the system",
    };

    /// <summary>"registration.code.sent" as "Code sent": what the action filter offers.</summary>
    public static string ActionLabel(string action) => Labels.TryGetValue(action, out var label) ? label : action;

    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        [AuditActions.OrganizationCreated] = "Organization created",
        [AuditActions.OrganizationDeleted] = "Organization deleted",
        [AuditActions.ApplicationCreated] = "Application created",
        [AuditActions.ApplicationDeactivated] = "Application deactivated",
        [AuditActions.ApplicationReactivated] = "Application reactivated",
        [AuditActions.UserInvited] = "User invited",
        [AuditActions.UserDeactivated] = "User deactivated",
        [AuditActions.UserReactivated] = "User reactivated",
        [AuditActions.UserEmailCorrected] = "User's email corrected",
        [AuditActions.UserLanguageChanged] = "User's language changed",
        [AuditActions.BrandingChanged] = "Branding changed",
        [AuditActions.BrandingLogoChanged] = "Logo changed",
        [AuditActions.EmailTemplateChanged] = "Email template changed",
        [AuditActions.TestEmailQueued] = "Test email sent",
        [AuditActions.CodeSent] = "Code sent",
        [AuditActions.ResendSkipped] = "Resend skipped",
        [AuditActions.ResendThrottled] = "Resend held back (too soon)",
        [AuditActions.ResendCooldownOverridden] = "Resend past the cooldown",
        [AuditActions.BulkResendStarted] = "Bulk resend started",
        [AuditActions.BulkResendFinished] = "Bulk resend finished",
        [AuditActions.WrongCode] = "Wrong code typed",
        [AuditActions.CodeLocked] = "Code locked (too many wrong tries)",
        [AuditActions.ExpiredCodeTyped] = "Expired code typed",
        [AuditActions.RegistrationStarted] = "Registration started",
        [AuditActions.RegistrationCompleted] = "Registration completed",
        [AuditActions.EmailDelivered] = "Email delivered",
        [AuditActions.EmailFailed] = "Email failed",
        [AuditActions.EmailSuperseded] = "Email replaced before sending",
        [AuditActions.AccessDenied] = "Access denied",
        [AuditActions.AdminCreated] = "Admin created",
        [AuditActions.AdminDisabled] = "Admin disabled",
        [AuditActions.AdminEnabled] = "Admin enabled",
        [AuditActions.AdminRemoved] = "Admin removed",
        [AuditActions.AdminInvited] = "Admin invited to choose a password",
        [AuditActions.AdminPasswordResetRequested] = "Password reset link sent to admin",
        [AuditActions.AdminPasswordReset] = "Admin password reset",
        [AuditActions.AdminPasswordChanged] = "Admin changed their password",
        [AuditActions.AdminTwoFactorEnabled] = "Two-factor sign-in turned on",
        [AuditActions.AdminTwoFactorDisabled] = "Two-factor sign-in turned off",
        [AuditActions.AdminAuthenticatorReset] = "Authenticator app key reset (two-factor off)",
        [AuditActions.AdminRecoveryCodesGenerated] = "New recovery codes made",
        [AuditActions.AdminRecoveryCodeUsed] = "Recovery code used to sign in",
        [AuditActions.AdminPasskeyAdded] = "Passkey added",
        [AuditActions.AdminPasskeyRenamed] = "Passkey renamed",
        [AuditActions.AdminPasskeyRemoved] = "Passkey removed",
        [AuditActions.AdminLockedOut] = "Admin locked out (wrong second-factor codes)",
        [AuditActions.RetentionPruned] = "Old records pruned",
        [AuditActions.DatabaseRestored] = "Database restored from a backup",
        [AuditActions.MailboxViewed] = "Development mailbox message read",
        [AuditActions.ServiceAccountCreated] = "Service account created",
        [AuditActions.ServiceAccountDeactivated] = "Service account deactivated",
        [AuditActions.ServiceAccountReactivated] = "Service account reactivated",
        [AuditActions.UsersListed] = "Users listed (users API)",
        [AuditActions.UserRead] = "User read (users API)",
    };

    public static string? Details(string? details, AdminClock? clock)
    {
        if (string.IsNullOrEmpty(details))
        {
            return details;
        }

        var text = IsoTime().Replace(details, m => DateTimeOffset.TryParse(m.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? (clock ?? AdminClock.Utc).LocalWithZone(at)
            : m.Value);
        foreach (var (raw, words) in Doors)
        {
            text = text.Replace(raw, words, StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")]
    private static partial Regex IsoTime();
}
