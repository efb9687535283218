using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class KeyCredentialsTests
{
    private const string Challenge = "b2hLVm1xN3ZKd3ZQeFpYZ0FqU2hQcWw0Y0V3YkdvNTQ";
    private const string ClientDataField = "firstFactorCredential.credentialInfo.clientData";
    private const string AttestationField = "firstFactorCredential.credentialInfo.attestationData";
    private const string GoodClientData = "{\"type\":\"key.create\",\"challenge\":\"" + Challenge + "\"}";

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
    public void Quote_of_an_empty_or_one_character_string_is_just_the_quotes_around_it()
    {
        Assert.Equal("\"\"", JsJson.Quote(""));
        Assert.Equal("\"a\"", JsJson.Quote("a"));
    }

    [Fact]
    public void Quote_escapes_a_high_surrogate_that_ends_the_text() =>
        Assert.Equal("\"x\\ud800\"", JsJson.Quote("x\ud800"));

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

    [Fact]
    public void An_algorithm_string_in_attestationData_is_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, GoodClientData, attestationExtra: ",\"algorithm\":\"ES256\"");

        Assert.Equal(KeyCredentialStatus.Verified, KeyCredentials.Verify(clientData, attestation, Challenge).Status);
    }

    [Fact]
    public void A_non_string_algorithm_is_refused_naming_the_field()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (clientData, attestation) = Sign(key, GoodClientData, attestationExtra: ",\"algorithm\":-7");

        var check = KeyCredentials.Verify(clientData, attestation, Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Equal($"{AttestationField}: algorithm must be a string", check.Message);
    }

    [Theory]
    [InlineData("[]", ClientDataField + " must be base64url of a JSON object")]
    [InlineData("not json", ClientDataField + " and " + AttestationField + " must be base64url of JSON objects")]
    [InlineData("{\"type\":\"key.create\"}", ClientDataField + " must hold the strings type and challenge")]
    [InlineData("{\"challenge\":\"c\"}", ClientDataField + " must hold the strings type and challenge")]
    [InlineData("{\"type\":1,\"challenge\":\"c\"}", ClientDataField + " must hold the strings type and challenge")]
    [InlineData("{\"type\":\"key.create\",\"challenge\":\"c\",\"origin\":1}", ClientDataField + ": origin must be a string and crossOrigin a boolean")]
    [InlineData("{\"type\":\"key.create\",\"challenge\":\"c\",\"crossOrigin\":\"true\"}", ClientDataField + ": origin must be a string and crossOrigin a boolean")]
    [InlineData("{\"type\":\"key.create\",\"challenge\":\"c\",\"origin\":[[[1]]]}", ClientDataField + ": origin must be a string and crossOrigin a boolean")]
    [InlineData("{\"type\":\"key.create\",\"challenge\":\"c\",\"origin\":[[[[1]]]]}", ClientDataField + " and " + AttestationField + " must be base64url of JSON objects")]
    public void Malformed_clientData_gets_the_message_naming_the_field_and_the_fault(string clientDataJson, string message)
    {
        var check = KeyCredentials.Verify(Encode(clientDataJson), Encode("{\"publicKey\":\"p\",\"signature\":\"00\"}"), Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Equal(message, check.Message);
    }

    [Theory]
    [InlineData("{\"publicKey\":\"p\"}", AttestationField + " must hold the strings publicKey and signature")]
    [InlineData("{\"signature\":\"00\"}", AttestationField + " must hold the strings publicKey and signature")]
    [InlineData("{\"publicKey\":\"p\",\"signature\":\"00\",\"algorithm\":[[[1]]]}", AttestationField + ": algorithm must be a string")]
    [InlineData("{\"publicKey\":\"p\",\"signature\":\"00\",\"algorithm\":[[[[1]]]]}", ClientDataField + " and " + AttestationField + " must be base64url of JSON objects")]
    [InlineData("{\"publicKey\":\"p\",\"signature\":\"abc\"}", AttestationField + ": signature must be the hex of a DER ECDSA signature")]
    [InlineData("{\"publicKey\":\"p\",\"signature\":\"00zz\"}", AttestationField + ": signature must be the hex of a DER ECDSA signature")]
    [InlineData("{\"publicKey\":\"p\",\"signature\":\"00\"}", AttestationField + ": publicKey must be an ECDSA P-256 public key in PEM (SPKI)")]
    public void Malformed_attestationData_gets_the_message_naming_the_field_and_the_fault(string attestationJson, string message)
    {
        var check = KeyCredentials.Verify(Encode(GoodClientData), Encode(attestationJson), Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Equal(message, check.Message);
    }

    [Fact]
    public void AttestationData_that_is_not_base64url_is_refused_naming_the_field()
    {
        var check = KeyCredentials.Verify(Encode(GoodClientData), "not base64url!", Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Equal($"{AttestationField} must be base64url", check.Message);
    }

    [Fact]
    public void ClientData_of_padding_only_is_not_base64url()
    {
        var check = KeyCredentials.Verify("==", Encode("{\"publicKey\":\"p\",\"signature\":\"00\"}"), Challenge);

        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Equal($"{ClientDataField} must be base64url", check.Message);
    }

    [Fact]
    public void A_signature_of_256_hex_digits_is_checked_and_one_of_258_is_refused_as_malformed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = JsJson.Quote(key.ExportSubjectPublicKeyInfoPem());

        var atBound = KeyCredentials.Verify(Encode(GoodClientData), Encode($"{{\"publicKey\":{pem},\"signature\":\"{new string('0', 256)}\"}}"), Challenge);
        var onePast = KeyCredentials.Verify(Encode(GoodClientData), Encode($"{{\"publicKey\":{pem},\"signature\":\"{new string('0', 258)}\"}}"), Challenge);

        Assert.Equal(KeyCredentialStatus.Rejected, atBound.Status);
        Assert.Equal(KeyCredentialStatus.Malformed, onePast.Status);
        Assert.Equal($"{AttestationField}: signature must be the hex of a DER ECDSA signature", onePast.Message);
    }

    [Fact]
    public void An_unknown_field_is_named_whole_up_to_40_characters_then_cut_and_controls_are_masked()
    {
        var forty = string.Concat(Enumerable.Repeat("abcdefghij", 4));

        Assert.Equal($"{ClientDataField} has an unknown or repeated field: {forty}", UnknownFieldMessage(forty));
        Assert.Equal($"{ClientDataField} has an unknown or repeated field: {forty}…", UnknownFieldMessage(forty + "k"));
        Assert.Equal($"{ClientDataField} has an unknown or repeated field: a?b", UnknownFieldMessage("a\nb"));
    }

    [Theory]
    [InlineData("AQ", new byte[] { 1 })]
    [InlineData("AQ=", new byte[] { 1 })]
    [InlineData("AQ==", new byte[] { 1 })]
    [InlineData("-_-_", new byte[] { 0xfb, 0xff, 0xbf })]
    public void Base64url_with_up_to_two_padding_characters_decodes(string text, byte[] expected) =>
        Assert.Equal(expected, KeyCredentials.DecodeBase64Url(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("==")]
    [InlineData("AQ===")]
    [InlineData("AAAAA")]
    [InlineData("e3 0")]
    [InlineData("e30\n")]
    [InlineData("+/+/")]
    public void Text_that_is_not_strict_base64url_does_not_decode(string? text) =>
        Assert.Null(KeyCredentials.DecodeBase64Url(text));

    [Fact]
    public void A_credential_id_of_512_characters_is_accepted_and_one_of_513_is_not()
    {
        var atBound = new string('A', 512);
        var onePast = atBound + "=";

        Assert.True(KeyCredentials.IsCredId(atBound));
        Assert.NotNull(KeyCredentials.DecodeBase64Url(onePast));
        Assert.False(KeyCredentials.IsCredId(onePast));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64url!")]
    [InlineData("AAAAA")]
    public void A_credential_id_that_is_not_base64url_is_refused(string? credId) =>
        Assert.False(KeyCredentials.IsCredId(credId));

    [Fact]
    public void A_public_key_PEM_of_4096_characters_is_read_and_one_of_4097_is_not()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportSubjectPublicKeyInfoPem();
        var atBound = pem + new string('\n', 4096 - pem.Length);

        using var imported = KeyCredentials.ImportP256(atBound);
        Assert.NotNull(imported);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), imported.ExportSubjectPublicKeyInfo());
        Assert.Null(KeyCredentials.ImportP256(atBound + "\n"));
    }

    [Fact]
    public void A_PEM_whose_key_is_followed_by_extra_bytes_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var withTrailer = PemEncoding.WriteString("PUBLIC KEY", [.. key.ExportSubjectPublicKeyInfo(), 0]);

        Assert.Null(KeyCredentials.ImportP256(withTrailer));
    }

    private static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string? UnknownFieldMessage(string name) =>
        KeyCredentials.Verify(Encode($"{{\"type\":\"key.create\",\"challenge\":\"c\",{JsJson.Quote(name)}:1}}"), Encode("{}"), Challenge).Message;

    /// <summary>What @dfns/sdk-browser's BrowserKeySigner.create sends, built with .NET's crypto.</summary>
    private static (string ClientData, string AttestationData) Sign(
        ECDsa key, string clientDataJson, HashAlgorithmName? hash = null, string pemSuffix = "", ECDsa? pemOf = null, string attestationExtra = "")
    {
        var pem = (pemOf ?? key).ExportSubjectPublicKeyInfoPem() + pemSuffix;
        var clientDataBytes = Encoding.UTF8.GetBytes(clientDataJson);
        var fingerprint = KeyCredentials.Fingerprint(Convert.ToHexStringLower(SHA256.HashData(clientDataBytes)), pem);
        var signature = key.SignData(Encoding.UTF8.GetBytes(fingerprint), hash ?? HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var attestation = $"{{\"publicKey\":{JsJson.Quote(pem)},\"signature\":\"{Convert.ToHexStringLower(signature)}\"{attestationExtra}}}";
        return (Base64Url.EncodeToString(clientDataBytes), Base64Url.EncodeToString(Encoding.UTF8.GetBytes(attestation)));
    }
}
