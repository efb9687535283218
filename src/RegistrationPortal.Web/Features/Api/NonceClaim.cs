namespace RegistrationPortal.Web.Features.Api;

/// <summary>A nonce to record as used in the same transaction as the request it came with.</summary>
public sealed record NonceClaim(string Key, DateTimeOffset ExpiresAt);
