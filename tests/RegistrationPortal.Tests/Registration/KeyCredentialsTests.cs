using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class KeyCredentialsTests
{
    private const string Challenge = "b2hLVm1xN3ZKd3ZQeFpYZ0FqU2hQcWw0Y0V3YkdvNTQ";

    // Expected texts are what Node's JSON.stringify printed for the same inputs.
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\u0001\u001f\u007f", "\"\\u0001\\u001f\u007f\"")]
    [InlineData("/<>&+'", "\"/<>&+'\"")]
    [InlineData("é€😀", "\"é€😀\"")]
    public void Quote_escapes_exactly_like_JSON_stringify(string value, string expected) =>
        Assert.Equal(expected, JsJson.Quote(value));

    // Not an InlineData case: attribute metadata turns a lone surrogate into U+FFFD.
    [Fact]
    public void Quote_escapes_lone_surrogates_in_lower_case_and_keeps_pairs() =>
        Assert.Equal("\"\\ud800x\\udc00😀\"", JsJson.Quote("\ud800x\udc00😀"));

    [Fact]
    public void Fingerprint_is_the_text_JSON_stringify_makes_of_hash_and_PEM()
    {
        const string pem = "-----BEGIN PUBLIC KEY-----\nAB/cd+ef\n-----END PUBLIC KEY-----\n";

        var fingerprint = KeyCredentials.Fingerprint("00ff", pem);

        Assert.Equal("{\"clientDataHash\":\"00ff\",\"publicKey\":\"-----BEGIN PUBLIC KEY-----\\nAB/cd+ef\\n-----END PUBLIC KEY-----\\n\"}", fingerprint);
    }

    [Fact]
    public void Fingerprint_keeps_every_odd_character_as_JavaScript_does()
    {
        var fingerprint = KeyCredentials.Fingerprint("ab", "q\"b\\c\u0001\u001f\b\f\t\r/<>&é€😀\ud800x\udc00");

        Assert.Equal("{\"clientDataHash\":\"ab\",\"publicKey\":\"q\\\"b\\\\c\\u0001\\u001f\\b\\f\\t\\r/<>&é€😀\\ud800x\\udc00\"}", fingerprint);
    }

    [Fact]
    public void A_credential_signed_as_the_browser_signer_signs_verifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\"}}");

        var check = KeyCredentials.Verify(clientData, attestation, Challenge);

        Assert.Equal(KeyCredentialStatus.Verified, check.Status);
        Assert.Equal(key.ExportSubjectPublicKeyInfoPem(), check.PublicKeyPem);
    }

    [Theory]
    [InlineData("{\"challenge\":\"" + Challenge + "\",\"type\":\"key.create\"}")]
    [InlineData("{\"origin\":\"https://app.example\",\"challenge\":\"" + Challenge + "\",\"crossOrigin\":false,\"type\":\"key.create\"}")]
    [InlineData("{ \"type\": \"key.create\", \"challenge\": \"" + Challenge + "\" }")]
    public void ClientData_in_any_key_order_and_spacing_verifies(string clientDataJson)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, clientDataJson);

        Assert.Equal(KeyCredentialStatus.Verified, KeyCredentials.Verify(clientData, attestation, Challenge).Status);
    }

    [Fact]
    public void Padded_base64url_and_a_PEM_with_a_final_newline_verify()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\"}}", pemSuffix: "\n");

        Assert.Equal(KeyCredentialStatus.Verified, KeyCredentials.Verify(clientData + "=", attestation, Challenge).Status);
    }

    [Fact]
    public void A_bad_signature_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientDataJson = $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\"}}";
        var (clientData, _) = Sign(key, clientDataJson);
        var (_, signedByOther) = Sign(other, clientDataJson, pemOf: key);

        Assert.Equal(KeyCredentialStatus.Rejected, KeyCredentials.Verify(clientData, signedByOther, Challenge).Status);
    }

    [Fact]
    public void A_signature_over_a_re_serialized_clientData_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (_, attestation) = Sign(key, $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\"}}");
        var respaced = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{{\"type\": \"key.create\", \"challenge\": \"{Challenge}\"}}"));

        Assert.Equal(KeyCredentialStatus.Rejected, KeyCredentials.Verify(respaced, attestation, Challenge).Status);
    }

    [Theory]
    [InlineData("key.get", Challenge)]
    [InlineData("key.create", "another-challenge")]
    public void A_wrong_type_or_challenge_is_rejected(string type, string challenge)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, $"{{\"type\":\"{type}\",\"challenge\":\"{challenge}\"}}");

        Assert.Equal(KeyCredentialStatus.Rejected, KeyCredentials.Verify(clientData, attestation, Challenge).Status);
    }

    [Fact]
    public void A_P384_key_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (clientData, attestation) = Sign(key, $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\"}}", HashAlgorithmName.SHA384);

        var check = KeyCredentials.Verify(clientData, attestation, Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Contains("P-256", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_key_PEM_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Null(KeyCredentials.ImportP256(key.ExportPkcs8PrivateKeyPem()));
        Assert.Null(KeyCredentials.ImportP256("junk " + key.ExportSubjectPublicKeyInfoPem()));
    }

    [Theory]
    [InlineData("not base64url!", "clientData")]
    [InlineData("e30", "clientData")]
    public void Malformed_clientData_names_the_field(string clientData, string field)
    {
        var check = KeyCredentials.Verify(clientData, Base64Url.EncodeToString("{}"u8), Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Contains(field, check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_field_in_clientData_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, $"{{\"type\":\"key.create\",\"challenge\":\"{Challenge}\",\"extra\":1}}");

        var check = KeyCredentials.Verify(clientData, attestation, Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Contains("extra", check.Message, StringComparison.Ordinal);
    }

    /// <summary>What @dfns/sdk-browser's BrowserKeySigner.create sends, built with .NET's crypto.</summary>
    private static (string ClientData, string AttestationData) Sign(
        ECDsa key, string clientDataJson, HashAlgorithmName? hash = null, string pemSuffix = "", ECDsa? pemOf = null)
    {
        var pem = (pemOf ?? key).ExportSubjectPublicKeyInfoPem() + pemSuffix;
        var clientDataBytes = Encoding.UTF8.GetBytes(clientDataJson);
        var fingerprint = KeyCredentials.Fingerprint(Convert.ToHexStringLower(SHA256.HashData(clientDataBytes)), pem);
        var signature = key.SignData(Encoding.UTF8.GetBytes(fingerprint), hash ?? HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var attestation = $"{{\"publicKey\":{JsJson.Quote(pem)},\"signature\":\"{Convert.ToHexStringLower(signature)}\"}}";
        return (Base64Url.EncodeToString(clientDataBytes), Base64Url.EncodeToString(Encoding.UTF8.GetBytes(attestation)));
    }
}
