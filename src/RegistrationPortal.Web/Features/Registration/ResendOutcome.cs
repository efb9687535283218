namespace RegistrationPortal.Web.Features.Registration;

/// <summary>The true outcome of a resend. Admins see it; the public doors answer the same whatever it is.</summary>
public sealed record ResendOutcome(ResendStatus Status, TimeSpan? RetryAfter = null, string? Email = null, DateTimeOffset? ExpiresAt = null);
