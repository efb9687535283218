using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// JavaScript's <c>JSON.stringify</c> of a string, byte for byte. A signature covers the text a browser produced,
/// so it must be rebuilt exactly; System.Text.Json's encoders escape more (<c>/</c>, <c>&lt;</c>, <c>&gt;</c>,
/// <c>&amp;</c>, <c>+</c>, non-ASCII) and would break every signature over such text.
/// </summary>
public static class JsJson
{
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        AppendQuoted(builder, value);
        return builder.ToString();
    }

    /// <summary>ECMAScript's QuoteJSONString (ES2019 well-formed stringify): only quote, backslash, controls and lone surrogates are escaped.</summary>
    public static void AppendQuoted(StringBuilder builder, string value)
    {
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        AppendUnicodeEscape(builder, c);
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        builder.Append(c).Append(value[i + 1]);
                        i++;
                    }
                    else if (char.IsSurrogate(c))
                    {
                        AppendUnicodeEscape(builder, c);
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    private static void AppendUnicodeEscape(StringBuilder builder, char c) =>
        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}

public enum KeyCredentialStatus
{
    Verified,

    /// <summary>The credential is not shaped as the contract says: 400 with a message naming the field.</summary>
    Malformed,

    /// <summary>Well formed but not proof of the challenge: wrong type or challenge, or a bad signature. 401.</summary>
    Rejected,
}

public sealed record KeyCredentialCheck(KeyCredentialStatus Status, string? Message = null, string? PublicKeyPem = null)
{
    public static KeyCredentialCheck Bad(string message) => new(KeyCredentialStatus.Malformed, message);

    public static readonly KeyCredentialCheck Rejected = new(KeyCredentialStatus.Rejected);
}

/// <summary>
/// The Key credential check of the Dfns browser SDK's key signer: the new key signs the credential-info
/// fingerprint, <c>JSON.stringify({clientDataHash, publicKey})</c>, where clientDataHash is the lowercase hex
/// SHA-256 of the clientData text exactly as sent.
/// </summary>
public static class KeyCredentials
{
    public const string CreateType = "key.create";

    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string ClientDataField = "firstFactorCredential.credentialInfo.clientData";
    private const string AttestationField = "firstFactorCredential.credentialInfo.attestationData";
    private const int MaxSignatureHexLength = 256;

    private static readonly string[] ClientDataFields = ["type", "challenge", "origin", "crossOrigin"];
    private static readonly string[] AttestationFields = ["publicKey", "signature", "algorithm"];

    public static string Fingerprint(string clientDataHashHex, string publicKeyPem)
    {
        var builder = new StringBuilder(publicKeyPem.Length + 128);
        builder.Append("{\"clientDataHash\":");
        JsJson.AppendQuoted(builder, clientDataHashHex);
        builder.Append(",\"publicKey\":");
        JsJson.AppendQuoted(builder, publicKeyPem);
        builder.Append('}');
        return builder.ToString();
    }

    /// <summary>Base64url with or without padding; null when it is not.</summary>
    public static byte[]? DecodeBase64Url(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var unpadded = text.TrimEnd('=');
        if (text.Length - unpadded.Length > 2 || unpadded.Length == 0 || !IsBase64UrlAlphabet(unpadded) || !Base64Url.IsValid(unpadded))
        {
            return null;
        }

        return Base64Url.DecodeFromChars(unpadded);
    }

    /// <summary>True for a credential id in base64url (padding tolerated), of a sane length.</summary>
    public static bool IsCredId(string? credId) => credId is { Length: <= 512 } && DecodeBase64Url(credId) is not null;

    public static KeyCredentialCheck Verify(string clientData, string attestationData, string expectedChallenge)
    {
        var clientDataBytes = DecodeBase64Url(clientData);
        if (clientDataBytes is null)
        {
            return KeyCredentialCheck.Bad($"{ClientDataField} must be base64url");
        }

        var attestationBytes = DecodeBase64Url(attestationData);
        if (attestationBytes is null)
        {
            return KeyCredentialCheck.Bad($"{AttestationField} must be base64url");
        }

        string? type, challenge, publicKeyPem, signatureHex;
        try
        {
            using var client = JsonDocument.Parse(clientDataBytes, new JsonDocumentOptions { MaxDepth = 4 });
            var problem = CheckObject(client.RootElement, ClientDataField, ClientDataFields);
            if (problem is not null)
            {
                return KeyCredentialCheck.Bad(problem);
            }

            type = OptionalString(client.RootElement, "type");
            challenge = OptionalString(client.RootElement, "challenge");
            if (type is null || challenge is null)
            {
                return KeyCredentialCheck.Bad($"{ClientDataField} must hold the strings type and challenge");
            }

            if ((client.RootElement.TryGetProperty("origin", out var origin) && origin.ValueKind != JsonValueKind.String)
                || (client.RootElement.TryGetProperty("crossOrigin", out var cross) && cross.ValueKind is not (JsonValueKind.True or JsonValueKind.False)))
            {
                return KeyCredentialCheck.Bad($"{ClientDataField}: origin must be a string and crossOrigin a boolean");
            }

            using var attestation = JsonDocument.Parse(attestationBytes, new JsonDocumentOptions { MaxDepth = 4 });
            problem = CheckObject(attestation.RootElement, AttestationField, AttestationFields);
            if (problem is not null)
            {
                return KeyCredentialCheck.Bad(problem);
            }

            publicKeyPem = OptionalString(attestation.RootElement, "publicKey");
            signatureHex = OptionalString(attestation.RootElement, "signature");
            if (publicKeyPem is null || signatureHex is null)
            {
                return KeyCredentialCheck.Bad($"{AttestationField} must hold the strings publicKey and signature");
            }

            if (attestation.RootElement.TryGetProperty("algorithm", out var algorithm) && algorithm.ValueKind != JsonValueKind.String)
            {
                return KeyCredentialCheck.Bad($"{AttestationField}: algorithm must be a string");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-16 once unescaped.
            return KeyCredentialCheck.Bad($"{ClientDataField} and {AttestationField} must be base64url of JSON objects");
        }

        if (signatureHex.Length > MaxSignatureHexLength || signatureHex.Length % 2 != 0 || !signatureHex.All(char.IsAsciiHexDigit))
        {
            return KeyCredentialCheck.Bad($"{AttestationField}: signature must be the hex of a DER ECDSA signature");
        }

        using var key = ImportP256(publicKeyPem);
        if (key is null)
        {
            return KeyCredentialCheck.Bad($"{AttestationField}: publicKey must be an ECDSA P-256 public key in PEM (SPKI)");
        }

        var typeMatches = string.Equals(type, CreateType, StringComparison.Ordinal);
        var challengeMatches = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(challenge), Encoding.UTF8.GetBytes(expectedChallenge));
        if (!typeMatches || !challengeMatches)
        {
            return KeyCredentialCheck.Rejected;
        }

        var fingerprint = Fingerprint(Convert.ToHexStringLower(SHA256.HashData(clientDataBytes)), publicKeyPem);
        bool verified;
        try
        {
            verified = key.VerifyData(Encoding.UTF8.GetBytes(fingerprint), Convert.FromHexString(signatureHex), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            verified = false;
        }

        return verified ? new KeyCredentialCheck(KeyCredentialStatus.Verified, PublicKeyPem: publicKeyPem) : KeyCredentialCheck.Rejected;
    }

    /// <summary>
    /// An SPKI public key on P-256 and nothing else: a private key, another curve, explicit curve parameters or
    /// text around the PEM block are refused.
    /// </summary>
    public static ECDsa? ImportP256(string pem)
    {
        if (pem.Length > 4096 || !PemEncoding.TryFind(pem, out var fields)
            || !pem.AsSpan(fields.Label).SequenceEqual("PUBLIC KEY")
            || !pem.AsSpan(0, fields.Location.Start.Value).IsWhiteSpace()
            || !pem.AsSpan(fields.Location.End.Value).IsWhiteSpace())
        {
            return null;
        }

        var der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(pem.AsSpan(fields.Base64Data), der, out var written))
        {
            return null;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der.AsSpan(0, written), out var read);
            var curve = key.ExportParameters(false).Curve;
            if (read == written && curve.IsNamed && curve.Oid.Value == P256Oid)
            {
                return key;
            }
        }
        catch (CryptographicException)
        {
        }

        key.Dispose();
        return null;
    }

    private static string? CheckObject(JsonElement element, string name, string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return $"{name} must be base64url of a JSON object";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            // A duplicate key would let two parsers read two different values out of one signed text.
            if (!allowed.Contains(property.Name) || !seen.Add(property.Name))
            {
                return $"{name} has an unknown or repeated field: {Printable(property.Name)}";
            }
        }

        return null;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsBase64UrlAlphabet(string text) =>
        text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Printable(string name)
    {
        var cut = name.Length > 40 ? name[..40] + "…" : name;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
