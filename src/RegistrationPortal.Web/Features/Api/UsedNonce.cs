namespace RegistrationPortal.Web.Features.Api;

/// <summary>A request nonce already accepted; kept while its date is inside the window, then pruned.</summary>
public sealed class UsedNonce
{
    /// <summary>SHA-256 of the nonce's uuid, hex: bounded size whatever the client sends.</summary>
    public required string Key { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }
}
