namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// One registration started by a right code: the challenge the new credential must sign. The temporary token's
/// <c>jti</c> is this row's id, so the token is single use through <see cref="ConsumedAt"/>, whatever its expiry.
/// </summary>
public sealed class RegistrationChallenge
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    /// <summary>The code that opened it; completion consumes that code.</summary>
    public Guid CodeId { get; init; }

    /// <summary>Base64url of 32 random bytes, as handed to the client.</summary>
    public required string Challenge { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? ConsumedAt { get; set; }
}

/// <summary>A user's registered credential. Only Key credentials exist here: the public key and its Dfns credential id.</summary>
public sealed class Credential
{
    /// <summary>A <c>cr-</c> id: the <c>uuid</c> of the registration answer.</summary>
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    /// <summary>Always <c>Key</c> for now; stored so other kinds can come without a migration of meaning.</summary>
    public required string Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>The client's base64url credential id; unique per organization.</summary>
    public required string CredId { get; init; }

    /// <summary>The SPKI PEM exactly as the client sent it.</summary>
    public required string PublicKeyPem { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
