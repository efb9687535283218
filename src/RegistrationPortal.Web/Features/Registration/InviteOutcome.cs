namespace RegistrationPortal.Web.Features.Registration;

public sealed record InviteOutcome(InviteStatus Status, string? UserId = null, DateTimeOffset? ExpiresAt = null);
