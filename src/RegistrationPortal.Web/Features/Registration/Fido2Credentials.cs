using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Exceptions;
using Fido2NetLib.Objects;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>A Fido2 (WebAuthn passkey) credential as the client sent it: <c>@dfns/sdk-browser</c>'s <c>WebAuthnSigner.create</c> shape.</summary>
public sealed record Fido2CredentialInput(string CredId, string ClientData, string AttestationData, IReadOnlyList<string> Transports);

/// <summary>What the relying party checks a new Fido2 credential against: the init's challenge, this host's RP id and origins, the user.</summary>
public sealed record Fido2Expectation(string Challenge, string RelyingPartyId, string RelyingPartyName, IReadOnlySet<string> Origins, string UserId, string Username);

/// <summary>A verified Fido2 credential: what is stored.</summary>
public sealed record VerifiedFido2Credential(string CredId, byte[] PublicKeyCose, uint SignCount, Guid Aaguid, string AttestationFormat, IReadOnlyList<string> Transports);

public sealed record Fido2CredentialCheck(KeyCredentialStatus Status, string? Message = null, VerifiedFido2Credential? Credential = null)
{
    public static Fido2CredentialCheck Bad(string message) => new(KeyCredentialStatus.Malformed, message);

    public static Fido2CredentialCheck Refused(string message) => new(KeyCredentialStatus.Rejected, message);
}

/// <summary>
/// The WebAuthn relying party's registration checks, done by the maintained <c>Fido2</c> library (fido2-net-lib):
/// clientDataJSON's type, challenge and origin, the RP id hash, the user present and user verified flags, the
/// algorithm, the attestation statement (<c>none</c>, <c>packed</c> and the library's other formats). What it does not
/// do is done here first, with messages that name the field: the base64url and JSON shapes, the challenge in the form
/// <c>@dfns/sdk-browser</c> sends it, and that <c>credId</c> is the credential the attestation names.
/// </summary>
public static class Fido2Credentials
{
    public const string Kind = "Fido2";

    public const string CreateType = "webauthn.create";

    private const string Info = "firstFactorCredential.credentialInfo";
    private const string CredIdField = Info + ".credId";
    private const string ClientDataField = Info + ".clientData";
    private const string AttestationField = Info + ".attestationData";

    /// <summary>The largest clientDataJSON and attestation object taken (a packed attestation with its certificate is about 1 KB).</summary>
    private const int MaxClientDataBytes = 4096;
    private const int MaxAttestationBytes = 16384;

    /// <summary>Transport hints a browser reports (WebAuthn's AuthenticatorTransport).</summary>
    public static readonly IReadOnlyDictionary<string, AuthenticatorTransport> KnownTransports = new Dictionary<string, AuthenticatorTransport>(StringComparer.Ordinal)
    {
        ["usb"] = AuthenticatorTransport.Usb,
        ["nfc"] = AuthenticatorTransport.Nfc,
        ["ble"] = AuthenticatorTransport.Ble,
        ["internal"] = AuthenticatorTransport.Internal,
        ["hybrid"] = AuthenticatorTransport.Hybrid,
        ["smart-card"] = AuthenticatorTransport.SmartCard,
    };

    /// <summary>The algorithms offered in the challenge (<c>pubKeyCredParams</c>): ES256 and RS256.</summary>
    private static readonly IReadOnlyList<PubKeyCredParam> Algorithms = [PubKeyCredParam.ES256, PubKeyCredParam.RS256];

    /// <summary>
    /// The challenge bytes the browser was given for <paramref name="challenge"/>. <c>@dfns/sdk-browser</c> passes
    /// <c>Buffer.from(challenge)</c>, the UTF-8 bytes of the string, so its clientDataJSON carries base64url of those
    /// bytes; a client that decodes the base64url challenge first carries the challenge string itself. Both are bound to
    /// the same secret, so both are accepted; anything else is the wrong challenge.
    /// </summary>
    public static byte[]? ChallengeBytes(string challenge, string? clientChallenge)
    {
        if (clientChallenge is null)
        {
            return null;
        }

        var utf8 = Encoding.UTF8.GetBytes(challenge);
        if (string.Equals(clientChallenge, Base64Url.EncodeToString(utf8), StringComparison.Ordinal))
        {
            return utf8;
        }

        return string.Equals(clientChallenge, challenge, StringComparison.Ordinal) ? Base64Url.DecodeFromChars(challenge) : null;
    }

    public static async Task<Fido2CredentialCheck> VerifyAsync(Fido2CredentialInput input, Fido2Expectation expected, CancellationToken cancellationToken = default)
    {
        var rawId = KeyCredentials.DecodeBase64Url(input.CredId);
        if (rawId is null)
        {
            return Fido2CredentialCheck.Bad($"{CredIdField} must be base64url");
        }

        var clientDataJson = KeyCredentials.DecodeBase64Url(input.ClientData);
        if (clientDataJson is null || clientDataJson.Length > MaxClientDataBytes)
        {
            return Fido2CredentialCheck.Bad($"{ClientDataField} must be base64url of the browser's clientDataJSON (at most {MaxClientDataBytes} bytes)");
        }

        var attestationObject = KeyCredentials.DecodeBase64Url(input.AttestationData);
        if (attestationObject is null || attestationObject.Length > MaxAttestationBytes)
        {
            return Fido2CredentialCheck.Bad($"{AttestationField} must be base64url of the browser's CBOR attestationObject (at most {MaxAttestationBytes} bytes)");
        }

        // The client data's own checks first, so that each refusal names what was wrong.
        string? type;
        string? clientChallenge;
        string? origin;
        try
        {
            using var document = JsonDocument.Parse(clientDataJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Fido2CredentialCheck.Bad($"{ClientDataField} must be base64url of a JSON object (clientDataJSON)");
            }

            type = StringMember(document.RootElement, "type");
            clientChallenge = StringMember(document.RootElement, "challenge");
            origin = StringMember(document.RootElement, "origin");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not UTF-8, or not valid UTF-16 once unescaped.
            return Fido2CredentialCheck.Bad($"{ClientDataField} must be base64url of a JSON object (clientDataJSON)");
        }

        if (type is null || clientChallenge is null || origin is null)
        {
            return Fido2CredentialCheck.Bad($"{ClientDataField} must carry type, challenge and origin as strings");
        }

        if (!string.Equals(type, CreateType, StringComparison.Ordinal))
        {
            return Fido2CredentialCheck.Refused($"{ClientDataField}.type must be {CreateType}");
        }

        var challengeBytes = ChallengeBytes(expected.Challenge, clientChallenge);
        if (challengeBytes is null)
        {
            return Fido2CredentialCheck.Refused($"{ClientDataField}.challenge is not the challenge of this registration");
        }

        if (!expected.Origins.Contains(origin))
        {
            return Fido2CredentialCheck.Refused($"{ClientDataField}.origin {origin} is not an allowed origin of this relying party");
        }

        var raw = new AuthenticatorAttestationRawResponse
        {
            Id = input.CredId.TrimEnd('='),
            RawId = rawId,
            Type = PublicKeyCredentialType.PublicKey,
            Response = new AuthenticatorAttestationRawResponse.AttestationResponse
            {
                AttestationObject = attestationObject,
                ClientDataJson = clientDataJson,
                Transports = [.. input.Transports.Select(t => KnownTransports[t])],
            },
            ClientExtensionResults = new AuthenticationExtensionsClientOutputs(),
        };
        var options = new CredentialCreateOptions
        {
            Rp = new PublicKeyCredentialRpEntity(expected.RelyingPartyId, expected.RelyingPartyName, null),
            User = new Fido2User { Id = Encoding.UTF8.GetBytes(expected.UserId), Name = expected.Username, DisplayName = expected.Username },
            Challenge = challengeBytes,
            PubKeyCredParams = Algorithms,
            Attestation = AttestationConveyancePreference.Direct,
            AuthenticatorSelection = new Fido2NetLib.AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
        };
        var fido2 = new Fido2(new Fido2Configuration
        {
            RPID = expected.RelyingPartyId,
            RPName = expected.RelyingPartyName,
            Origins = new HashSet<string>(expected.Origins, StringComparer.Ordinal),
        });

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = raw,
                OriginalOptions = options,

                // Uniqueness in the organization is checked by the single writer, in the transaction that stores it.
                IsCredentialIdUniqueToUserCallback = static (_, _) => Task.FromResult(true),
            }, cancellationToken);
        }
        catch (Fido2VerificationException ex)
        {
            return Explain(ex.Code);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The library's parsers throw what they meet in a broken attestation object (CBOR, lengths, keys).
            return Fido2CredentialCheck.Bad($"{AttestationField} is not a well-formed attestation object");
        }

        if (!rawId.AsSpan().SequenceEqual(registered.Id))
        {
            return Fido2CredentialCheck.Bad($"{CredIdField} is not the id of the credential in {AttestationField}");
        }

        return new Fido2CredentialCheck(
            KeyCredentialStatus.Verified,
            Credential: new VerifiedFido2Credential(
                Base64Url.EncodeToString(registered.Id),
                registered.PublicKey,
                registered.SignCount,
                registered.AaGuid,
                registered.AttestationFormat,
                input.Transports));
    }

    /// <summary>The library's refusal in the API's words: the field and what about it failed, never the exception's text.</summary>
    private static Fido2CredentialCheck Explain(Fido2ErrorCode code) => code switch
    {
        Fido2ErrorCode.InvalidRpidHash => Fido2CredentialCheck.Refused($"{AttestationField}: the credential was made for another relying party id (rpIdHash)"),
        Fido2ErrorCode.UserPresentFlagNotSet => Fido2CredentialCheck.Refused($"{AttestationField}: the authenticator did not see the user present (UP flag)"),
        Fido2ErrorCode.UserVerificationRequirementNotMet => Fido2CredentialCheck.Refused($"{AttestationField}: the authenticator did not verify the user (UV flag), which this relying party requires"),
        Fido2ErrorCode.CredentialAlgorithmRequirementNotMet => Fido2CredentialCheck.Refused($"{AttestationField}: the credential's algorithm is not one offered (ES256 -7 or RS256 -257)"),
        Fido2ErrorCode.InvalidSignature or Fido2ErrorCode.InvalidAttestation => Fido2CredentialCheck.Refused($"{AttestationField}: the attestation statement does not verify"),
        Fido2ErrorCode.InvalidAuthenticatorResponseChallenge or Fido2ErrorCode.MissingAuthenticatorResponseChallenge
            => Fido2CredentialCheck.Refused($"{ClientDataField}.challenge is not the challenge of this registration"),
        Fido2ErrorCode.UnknownAttestationType or Fido2ErrorCode.MissingAttestationType
            => Fido2CredentialCheck.Bad($"{AttestationField}: the attestation format is not supported"),
        Fido2ErrorCode.AttestedCredentialDataFlagNotSet => Fido2CredentialCheck.Bad($"{AttestationField}: the authenticator data carries no credential (AT flag)"),
        Fido2ErrorCode.InvalidAttestationObject or Fido2ErrorCode.MalformedAttestationObject or Fido2ErrorCode.MissingAuthenticatorData
            or Fido2ErrorCode.InvalidAuthenticatorData or Fido2ErrorCode.InvalidAttestedCredentialData
            => Fido2CredentialCheck.Bad($"{AttestationField} is not a well-formed attestation object"),
        Fido2ErrorCode.InvalidAuthenticatorResponse or Fido2ErrorCode.MalformedAuthenticatorResponse
            => Fido2CredentialCheck.Bad($"{ClientDataField} is not a WebAuthn registration's clientDataJSON"),

        // Type, id and kind are checked before the library runs; what it is left to refuse here is an id that is not the attested one.
        Fido2ErrorCode.InvalidAttestationResponse => Fido2CredentialCheck.Bad($"{CredIdField} is not the id of the credential in {AttestationField}"),
        _ => Fido2CredentialCheck.Refused($"{AttestationField} does not verify as a new credential for this relying party"),
    };

    private static string? StringMember(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
