namespace RegistrationPortal.Web.Features.Users;

public sealed record CorrectEmailOutcome(CorrectEmailStatus Status, string? OldEmail = null, string? NewEmail = null, DateTimeOffset? ExpiresAt = null);
