namespace RegistrationPortal.Web.Features.Registration;

public enum PublicResendStatus
{
    /// <summary>Recorded; resolved moments later (a code is mailed if, and only if, the user is pending).</summary>
    Accepted,
    Throttled,
    NonceReplayed,
}
