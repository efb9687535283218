using MudBlazor;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>What an admin is told after a resend: the true outcome, in words.</summary>
public static class ResendMessages
{
    /// <param name="clock">The admin's time zone, which the expiry is told in (UTC when not given).</param>
    public static (string Message, Severity Severity) Describe(ResendOutcome outcome, string email, AdminClock? clock = null) => outcome.Status switch
    {
        ResendStatus.Sent => ($"New code sent to {email}. It expires {UserActionMessages.Time(outcome.ExpiresAt, clock)}.", Severity.Success),
        ResendStatus.AlreadyRegistered => ($"{email} has already registered; no code was sent.", Severity.Info),
        ResendStatus.Deactivated => ($"{email} is deactivated; no code was sent.", Severity.Warning),
        ResendStatus.Throttled => ($"A code was sent to {email} moments ago. Wait {Math.Ceiling(outcome.RetryAfter?.TotalSeconds ?? 60)} seconds before sending another.", Severity.Warning),
        _ => ("That user is not in your organization; nothing was sent.", Severity.Error),
    };

    /// <summary>
    /// The warning a resend's confirmation carries while the user's resend cooldown runs (null when it does not): an
    /// admin may resend anyway, and is told until when the self-service page and the API would refuse.
    /// </summary>
    /// <param name="until">When the cooldown ends (<see cref="OrgUserAdminService.ResendCooldownEndsAsync"/>).</param>
    /// <param name="clock">The admin's time zone, which the time is told in (UTC when not given).</param>
    public static string? CooldownWarning(DateTimeOffset? until, AdminClock? clock = null) => until is { } at
        ? $"This user's resend cooldown runs until {(clock ?? AdminClock.Utc).TimeOfDay(at)}: until then the self-service page "
          + "and the API send them no new code. You can resend now as an admin; the audit trail records that you overrode "
          + "the cooldown, and the code sent last stops working."
        : null;
}
