using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>
/// The cryptography of user action signing as <c>@dfns/sdk-keysigner</c>'s <c>AsymmetricKeySigner</c> does it: the
/// signer builds <c>clientData</c> as the JSON text <c>{"type":"key.get","challenge":"…"}</c>, signs those exact bytes
/// with its P-256 key (ECDSA, SHA-256, DER) and sends both base64url.
/// </summary>
public static class UserActions
{
    public const string ClientDataType = "key.get";
    public const int MaxPathLength = 512;
    public const int MaxPemLength = 1024;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>
    /// Reads a pasted public key: PEM of a P-256 SubjectPublicKeyInfo. Returns the key re-encoded as PEM (the form
    /// stored), or null with <paramref name="problem"/> in words for the person who pasted it.
    /// </summary>
    public static string? ReadPublicKey(string? pem, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            problem = "Paste the public key (PEM, beginning with -----BEGIN PUBLIC KEY-----).";
            return null;
        }

        if (pem.Length > 4 * MaxPemLength)
        {
            problem = "That is too long for a P-256 public key.";
            return null;
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            problem = "That is not the PEM of an EC public key (-----BEGIN PUBLIC KEY-----). RSA and Ed25519 keys are not accepted.";
            return null;
        }

        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != P256Oid && parameters.Curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256"))
        {
            problem = "The key must be on the P-256 curve (prime256v1, secp256r1).";
            return null;
        }

        if (parameters.D is not null)
        {
            problem = "That is a private key: paste only the public half.";
            return null;
        }

        return key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>
    /// True when <paramref name="clientData"/> (base64url) is a <c>key.get</c> client data for <paramref name="challenge"/>
    /// and <paramref name="signature"/> (base64url of DER, or of the 64-byte r‖s form) is the key's ECDSA P-256 SHA-256
    /// signature of its exact bytes.
    /// </summary>
    public static bool Verify(string publicKeyPem, string challenge, string clientData, string signature)
    {
        if (!TryBase64Url(clientData, 4096, out var clientDataBytes) || !TryBase64Url(signature, 512, out var signatureBytes))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(clientDataBytes, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != ClientDataType
                || !root.TryGetProperty("challenge", out var signed) || signed.ValueKind != JsonValueKind.String || signed.GetString() != challenge)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        var format = signatureBytes.Length == 64 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence;
        return key.VerifyData(clientDataBytes, signatureBytes, HashAlgorithmName.SHA256, format);
    }

    /// <summary>SHA-256 of a body's bytes: what a user action is bound to.</summary>
    public static byte[] PayloadHash(ReadOnlySpan<byte> body) => SHA256.HashData(body);

    private static bool TryBase64Url(string text, int maxLength, out byte[] bytes)
    {
        bytes = [];
        var unpadded = text.TrimEnd('=');
        if (unpadded.Length == 0 || unpadded.Length > maxLength || !Base64Url.IsValid(unpadded))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(unpadded);
        return true;
    }
}
