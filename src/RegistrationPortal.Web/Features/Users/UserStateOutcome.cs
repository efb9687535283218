namespace RegistrationPortal.Web.Features.Users;

/// <summary>The outcome of deactivating or reactivating a user; <paramref name="CodesInvalidated"/> counts the codes deactivation killed.</summary>
public sealed record UserStateOutcome(UserStateStatus Status, string? Email = null, int CodesInvalidated = 0);
