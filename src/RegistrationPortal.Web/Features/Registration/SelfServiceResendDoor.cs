using Microsoft.Extensions.Localization;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The self-service resend as the public pages offer it (<c>/register/resend</c> and the register page's "Send a new
/// code"): the per-address limiter, then <see cref="RegistrationService.RequestResendAsync"/>, answered in the same words
/// whoever asked, in the page's language. Only the limits, which hold for unknown accounts alike, change the answer.
/// </summary>
public sealed class SelfServiceResendDoor(RegistrationService registration, SelfServiceLimiter limiter, IStringLocalizer<PublicText> text)
{
    /// <summary>The answer in English.</summary>
    public const string Confirmation = "If an account is waiting for registration, a new code is on its way. Check your inbox and spam folder.";

    public async Task<string> AskAsync(string orgId, string email, string? clientAddress)
    {
        if (limiter.TryAcquire(clientAddress) is { } wait)
        {
            return text["Door.TooMany", Duration(wait)];
        }

        var outcome = await registration.RequestResendAsync(orgId.Trim(), email.Trim(), Actor.SelfService(clientAddress));
        return outcome.Status == PublicResendStatus.Throttled
            ? text["Door.Throttled", Duration(outcome.RetryAfter ?? TimeSpan.FromMinutes(1))]
            : text["Door.Confirmation"];
    }

    /// <summary>"45 seconds", or "57 minutes" once seconds would be a number to work out, in the page's language.</summary>
    public string Duration(TimeSpan wait) => wait.TotalSeconds <= 90
        ? text["Duration.Seconds", Math.Max(1, Math.Ceiling(wait.TotalSeconds))]
        : text["Duration.Minutes", Math.Ceiling(wait.TotalMinutes)];
}
