namespace RegistrationPortal.Web.Features.Registration;

/// <summary>One user's outcome in a bulk resend; <paramref name="Email"/> is null for an id that is not a user of the organization.</summary>
public sealed record UserResendOutcome(string UserId, ResendStatus Status, string? Email = null);
