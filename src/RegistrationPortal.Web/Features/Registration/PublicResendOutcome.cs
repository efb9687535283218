namespace RegistrationPortal.Web.Features.Registration;

/// <summary>What a public door may know of a resend it asked for: the same for every user, known or not.</summary>
public sealed record PublicResendOutcome(PublicResendStatus Status, TimeSpan? RetryAfter = null);
