using System.Globalization;
using MudBlazor;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>What an admin is told after a resend: the true outcome, in words.</summary>
public static class ResendMessages
{
    public static (string Message, Severity Severity) Describe(ResendOutcome outcome, string email) => outcome.Status switch
    {
        ResendStatus.Sent => ($"New code sent to {email}. It expires {outcome.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC.", Severity.Success),
        ResendStatus.AlreadyRegistered => ($"{email} has already registered; no code was sent.", Severity.Info),
        ResendStatus.Deactivated => ($"{email} is deactivated; no code was sent.", Severity.Warning),
        ResendStatus.Throttled => ($"A code was sent to {email} moments ago. Wait {Math.Ceiling(outcome.RetryAfter?.TotalSeconds ?? 60)} seconds before sending another.", Severity.Warning),
        _ => ("That user is not in your organization; nothing was sent.", Severity.Error),
    };
}
