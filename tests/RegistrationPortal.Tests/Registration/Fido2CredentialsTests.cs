using System.ComponentModel.DataAnnotations;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Fido2NetLib.Objects;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class Fido2CredentialsTests
{
    /// <summary>The rp.id is <c>Registration:RelyingPartyId</c> when one is set; the request's host when it is unset or blank.</summary>
    [Theory]
    [InlineData("portal.example.com", "portal.example.com")]
    [InlineData(null, "request.example")]
    [InlineData("", "request.example")]
    [InlineData("  ", "request.example")]
    public void The_relying_party_id_is_the_configured_one_or_the_requests_host(string? configured, string expected) =>
        Assert.Equal(expected, RegistrationCompletionService.RelyingPartyId(new RegistrationOptions { RelyingPartyId = configured }, "request.example"));

    private const string Challenge = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c";

    [Fact]
    public void The_challenge_is_taken_in_the_dfns_sdk_utf8_form_and_in_the_plain_form_and_nothing_else()
    {
        var utf8 = Encoding.UTF8.GetBytes(Challenge);

        // @dfns/sdk-browser passes Buffer.from(challenge): clientDataJSON carries base64url of the string's UTF-8 bytes.
        Assert.Equal(utf8, Fido2Credentials.ChallengeBytes(Challenge, System.Buffers.Text.Base64Url.EncodeToString(utf8)));

        // A client that decodes the challenge first carries the challenge string itself.
        Assert.Equal(System.Buffers.Text.Base64Url.DecodeFromChars(Challenge), Fido2Credentials.ChallengeBytes(Challenge, Challenge));

        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, null));
        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, Challenge.ToUpperInvariant()));
        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Challenge + "x"))));
    }

    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("https://app.example.com/", "https://app.example.com")]
    [InlineData("https://App.Example.com:443", "https://app.example.com")]
    [InlineData("http://localhost:5243", "http://localhost:5243")]
    [InlineData("https://app.example.com/path", null)]
    [InlineData("https://app.example.com/?q=1", null)]
    [InlineData("ftp://app.example.com", null)]
    [InlineData("app.example.com", null)]
    [InlineData("https://user@app.example.com", null)]
    public void An_allowed_origin_is_a_scheme_host_and_port_as_a_browser_writes_it(string configured, string? origin) =>
        Assert.Equal(origin, RegistrationOptions.Origin(configured));

    [Fact]
    public void A_configured_origin_that_is_not_one_fails_validation_naming_it()
    {
        var options = new RegistrationOptions { AllowedOrigins = ["https://app.example.com", "https://app.example.com/login"] };

        var problem = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Equal(["AllowedOrigins:1"], problem.MemberNames);
        Assert.Contains("https://app.example.com/login", problem.ErrorMessage, StringComparison.Ordinal);
    }

    // ---- VerifyAsync: a credential made as a software authenticator makes one, then spoiled one part at a time ----

    private const string RpId = "app.example.com";
    private const string AllowedOrigin = "https://app.example.com";
    private const string Info = "firstFactorCredential.credentialInfo";
    private const byte Up = 0x01;
    private const byte Uv = 0x04;
    private const byte At = 0x40;
    private const byte Ed = 0x80;
    private const int Es256 = -7;
    private const int Es384 = -35;
    private const uint SignCount = 0x01020304; // as authData writes it: 1, 2, 3, 4

    private static readonly Guid Aaguid = new("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    private static readonly byte[] CredentialId = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];
    private static readonly Fido2Expectation Expected = new(Challenge, RpId, "Registration Portal", new HashSet<string>(StringComparer.Ordinal) { AllowedOrigin }, "user-1", "jane@example.com");

    /// <summary>The challenge as @dfns/sdk-browser's clientDataJSON carries it: base64url of the string's UTF-8 bytes.</summary>
    private static readonly string DfnsChallenge = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Challenge));

    [Fact]
    public async Task A_credential_made_as_an_authenticator_makes_one_verifies_and_is_stored_as_made()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        Assert.Equal(KeyCredentialStatus.Verified, check.Status);
        Assert.Null(check.Message);
        var stored = check.Credential!;
        Assert.Equal(B64(CredentialId), stored.CredId);
        Assert.Equal(CoseKey(key, Es256), stored.PublicKeyCose);
        Assert.Equal(SignCount, stored.SignCount);
        Assert.Equal(Aaguid, stored.Aaguid);
        Assert.Equal("none", stored.AttestationFormat);
        Assert.Equal(["internal", "hybrid"], stored.Transports);
    }

    [Fact]
    public async Task A_packed_self_attestation_signed_by_the_credential_key_verifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, format: "packed");

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        Assert.Equal(KeyCredentialStatus.Verified, check.Status);
        Assert.Equal("packed", check.Credential!.AttestationFormat);
        Assert.Equal(CoseKey(key, Es256), check.Credential.PublicKeyCose);
    }

    [Fact]
    public async Task The_challenge_in_the_plain_form_verifies_too()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: ClientDataJson(challenge: Challenge));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        Assert.Equal(KeyCredentialStatus.Verified, check.Status);
    }

    [Theory]
    [InlineData("usb")]
    [InlineData("nfc")]
    [InlineData("ble")]
    [InlineData("internal")]
    [InlineData("hybrid")]
    [InlineData("smart-card")]
    public async Task Each_known_transport_is_taken_and_stored(string transport)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input with { Transports = [transport] }, Expected);

        Assert.Equal(KeyCredentialStatus.Verified, check.Status);
        Assert.Equal([transport], check.Credential!.Transports);
    }

    [Fact]
    public void The_known_transports_are_webauthns_names_each_for_its_transport_and_nothing_else()
    {
        Assert.Equal(
            new Dictionary<string, AuthenticatorTransport>
            {
                ["usb"] = AuthenticatorTransport.Usb,
                ["nfc"] = AuthenticatorTransport.Nfc,
                ["ble"] = AuthenticatorTransport.Ble,
                ["internal"] = AuthenticatorTransport.Internal,
                ["hybrid"] = AuthenticatorTransport.Hybrid,
                ["smart-card"] = AuthenticatorTransport.SmartCard,
            },
            Fido2Credentials.KnownTransports);
        Assert.False(Fido2Credentials.KnownTransports.ContainsKey("USB"));
        Assert.False(Fido2Credentials.KnownTransports.ContainsKey("cable"));
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("")]
    [InlineData("AAAA+/==")]
    public async Task A_credId_that_is_not_base64url_is_malformed_naming_credId(string credId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input with { CredId = credId }, Expected);

        AssertBad(check, Info + ".credId must be base64url");
    }

    [Fact]
    public async Task A_credId_that_is_not_the_attested_credential_is_malformed_naming_credId()
    {
        // Fido2 4.3.3 refuses it itself (InvalidAttestationResponse), before this class's own comparison would.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input with { CredId = B64([.. CredentialId.Reverse()]) }, Expected);

        AssertBad(check, Info + ".credId is not the id of the credential in " + Info + ".attestationData");
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("")]
    public async Task ClientData_that_is_not_base64url_is_malformed_naming_clientData(string clientData)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input with { ClientData = clientData }, Expected);

        AssertBad(check, Info + ".clientData must be base64url of the browser's clientDataJSON (at most 4096 bytes)");
    }

    [Fact]
    public async Task ClientData_of_exactly_4096_bytes_verifies_and_one_byte_more_is_malformed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var unpadded = ClientDataJson(extra: ",\"pad\":\"\"");
        var atLimit = ClientDataJson(extra: ",\"pad\":\"" + new string('p', 4096 - unpadded.Length) + "\"");
        var overLimit = ClientDataJson(extra: ",\"pad\":\"" + new string('p', 4097 - unpadded.Length) + "\"");
        Assert.Equal(4096, atLimit.Length);
        Assert.Equal(4097, overLimit.Length);

        var accepted = await Fido2Credentials.VerifyAsync(Make(key, clientData: atLimit), Expected);
        var refused = await Fido2Credentials.VerifyAsync(Make(key, clientData: overLimit), Expected);

        Assert.Equal(KeyCredentialStatus.Verified, accepted.Status);
        AssertBad(refused, Info + ".clientData must be base64url of the browser's clientDataJSON (at most 4096 bytes)");
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("")]
    public async Task AttestationData_that_is_not_base64url_is_malformed_naming_attestationData(string attestationData)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key);

        var check = await Fido2Credentials.VerifyAsync(input with { AttestationData = attestationData }, Expected);

        AssertBad(check, Info + ".attestationData must be base64url of the browser's CBOR attestationObject (at most 16384 bytes)");
    }

    [Fact]
    public async Task An_attestation_object_of_exactly_16384_bytes_verifies_and_one_byte_more_is_malformed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientData = ClientDataJson();
        var atLimit = AttestationObjectOf(16384, AuthData(key));
        var overLimit = AttestationObjectOf(16385, AuthData(key));
        Assert.Equal(16384, atLimit.Length);
        Assert.Equal(16385, overLimit.Length);

        var accepted = await Fido2Credentials.VerifyAsync(Input(clientData, atLimit), Expected);
        var refused = await Fido2Credentials.VerifyAsync(Input(clientData, overLimit), Expected);

        Assert.Equal(KeyCredentialStatus.Verified, accepted.Status);
        AssertBad(refused, Info + ".attestationData must be base64url of the browser's CBOR attestationObject (at most 16384 bytes)");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"webauthn.create\"")]
    [InlineData("null")]
    [InlineData("{\"type\":")]
    [InlineData("not JSON")]
    public async Task ClientData_that_is_not_a_JSON_object_is_malformed_naming_clientData(string json)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: Encoding.UTF8.GetBytes(json));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertBad(check, Info + ".clientData must be base64url of a JSON object (clientDataJSON)");
    }

    [Theory]
    [InlineData("{\"challenge\":\"C\",\"origin\":\"O\"}")]
    [InlineData("{\"type\":\"webauthn.create\",\"origin\":\"O\"}")]
    [InlineData("{\"type\":\"webauthn.create\",\"challenge\":\"C\"}")]
    [InlineData("{\"type\":5,\"challenge\":\"C\",\"origin\":\"O\"}")]
    [InlineData("{\"type\":\"webauthn.create\",\"challenge\":[],\"origin\":\"O\"}")]
    [InlineData("{\"type\":\"webauthn.create\",\"challenge\":\"C\",\"origin\":null}")]
    [InlineData("{\"type\":{},\"challenge\":true,\"origin\":1}")]
    public async Task ClientData_without_type_challenge_and_origin_as_strings_is_malformed_naming_clientData(string template)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var json = template.Replace("\"C\"", "\"" + DfnsChallenge + "\"", StringComparison.Ordinal).Replace("\"O\"", "\"" + AllowedOrigin + "\"", StringComparison.Ordinal);
        var input = Make(key, clientData: Encoding.UTF8.GetBytes(json));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertBad(check, Info + ".clientData must carry type, challenge and origin as strings");
    }

    [Theory]
    [InlineData("webauthn.get")]
    [InlineData("WebAuthn.Create")]
    [InlineData("key.create")]
    public async Task ClientData_of_another_type_is_refused_naming_the_type(string type)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: ClientDataJson(type: type));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".clientData.type must be webauthn.create");
    }

    [Fact]
    public async Task ClientData_with_another_challenge_is_refused_naming_the_challenge()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: ClientDataJson(challenge: B64(Encoding.UTF8.GetBytes("another challenge"))));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".clientData.challenge is not the challenge of this registration");
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://app.example.com:8443")]
    [InlineData("http://app.example.com")]
    public async Task ClientData_from_an_origin_not_allowed_is_refused_naming_the_origin(string origin)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: ClientDataJson(origin: origin));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".clientData.origin " + origin + " is not an allowed origin of this relying party");
    }

    [Theory]
    [InlineData(",\"tokenBinding\":5")]
    [InlineData(",\"tokenBinding\":{\"status\":\"present\"}")]
    public async Task ClientData_the_library_cannot_read_or_refuses_is_malformed_naming_clientData(string tokenBinding)
    {
        // Past this class's own checks the library reads clientDataJSON into its type (a tokenBinding that is not an
        // object fails that: MalformedAuthenticatorResponse) and checks the token binding (InvalidAuthenticatorResponse).
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, clientData: ClientDataJson(extra: tokenBinding));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertBad(check, Info + ".clientData is not a WebAuthn registration's clientDataJSON");
    }

    [Theory]
    [InlineData("type")]
    [InlineData("challenge")]
    [InlineData("origin")]
    public async Task ClientData_whose_strings_are_not_unicode_text_is_malformed_naming_clientData(string member)
    {
        // Invalid UTF-8 inside the member's string, and a lone surrogate escape: JSON that has no string to read there.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var good = Encoding.UTF8.GetString(ClientDataJson());
        var value = "\"" + member + "\":\"";
        var at = good.IndexOf(value, StringComparison.Ordinal) + value.Length;
        byte[] invalidUtf8 = [.. Encoding.UTF8.GetBytes(good[..at]), 0xFF, .. Encoding.UTF8.GetBytes(good[at..])];
        var loneSurrogate = Encoding.UTF8.GetBytes(good[..at] + "\\ud800" + good[at..]);

        var notUtf8 = await Fido2Credentials.VerifyAsync(Make(key, clientData: invalidUtf8), Expected);
        var notUtf16 = await Fido2Credentials.VerifyAsync(Make(key, clientData: loneSurrogate), Expected);

        AssertBad(notUtf8, Info + ".clientData must be base64url of a JSON object (clientDataJSON)");
        AssertBad(notUtf16, Info + ".clientData must be base64url of a JSON object (clientDataJSON)");
    }

    [Theory]
    [InlineData("not CBOR")]
    [InlineData("\u0001")]
    public async Task An_attestation_object_that_is_not_a_CBOR_map_is_malformed_naming_attestationData(string bytes)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), Encoding.UTF8.GetBytes(bytes)), Expected);

        AssertBad(check, Info + ".attestationData is not a well-formed attestation object");
    }

    [Fact]
    public async Task An_attestation_object_without_its_fmt_is_malformed_naming_attestationData()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var writer = new CborWriter();
        writer.WriteStartMap(2);
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(AuthData(key));
        writer.WriteEndMap();

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), writer.Encode()), Expected);

        AssertBad(check, Info + ".attestationData is not a well-formed attestation object");
    }

    [Fact]
    public async Task Authenticator_data_too_short_or_with_bytes_left_over_is_malformed_naming_attestationData()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientData = ClientDataJson();

        var tooShort = await Fido2Credentials.VerifyAsync(Input(clientData, AttestationObject("none", AuthData(key)[..36], [])), Expected);
        var leftOver = await Fido2Credentials.VerifyAsync(Input(clientData, AttestationObject("none", [.. AuthData(key), 0], [])), Expected);

        AssertBad(tooShort, Info + ".attestationData is not a well-formed attestation object");
        AssertBad(leftOver, Info + ".attestationData is not a well-formed attestation object");
    }

    [Fact]
    public async Task Attested_credential_data_too_short_is_malformed_naming_attestationData()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), AttestationObject("none", AuthData(key)[..(37 + 19)], [])), Expected);

        AssertBad(check, Info + ".attestationData is not a well-formed attestation object");
    }

    [Fact]
    public async Task A_credential_public_key_of_an_unknown_key_type_is_refused_naming_attestationData()
    {
        // The library refuses it with a code (InvalidCredentialPublicKey) this class leaves to its general refusal.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), AttestationObject("none", AuthData(key, kty: 99), [])), Expected);

        AssertRefused(check, Info + ".attestationData does not verify as a new credential for this relying party");
    }

    [Fact]
    public async Task A_failure_of_the_library_that_is_not_a_verification_failure_is_answered_not_thrown()
    {
        // Fido2 4.3.3 turns every parser failure of a client's credential into a Fido2VerificationException; what is
        // left to throw anything else is the relying party's side, here an expectation without an RP id to hash.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var check = await Fido2Credentials.VerifyAsync(Make(key), Expected with { RelyingPartyId = null! });

        AssertBad(check, Info + ".attestationData is not a well-formed attestation object");
    }

    [Fact]
    public async Task A_credential_made_for_another_relying_party_is_refused_naming_the_rpIdHash()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, authData: AuthData(key, rpId: "evil.example"));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".attestationData: the credential was made for another relying party id (rpIdHash)");
    }

    [Fact]
    public async Task A_credential_made_without_the_user_present_is_refused_naming_the_UP_flag()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, authData: AuthData(key, flags: Uv | At));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".attestationData: the authenticator did not see the user present (UP flag)");
    }

    [Fact]
    public async Task A_credential_made_without_user_verification_is_refused_naming_the_UV_flag()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, authData: AuthData(key, flags: Up | At));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".attestationData: the authenticator did not verify the user (UV flag), which this relying party requires");
    }

    [Fact]
    public async Task Authenticator_data_without_a_credential_is_malformed_naming_the_AT_flag()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = Make(key, authData: AuthData(key, flags: Up | Uv)[..37]);

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertBad(check, Info + ".attestationData: the authenticator data carries no credential (AT flag)");
    }

    [Fact]
    public async Task A_credential_of_an_algorithm_not_offered_is_refused_naming_the_algorithm()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var input = Make(key, authData: AuthData(key, alg: Es384));

        var check = await Fido2Credentials.VerifyAsync(input, Expected);

        AssertRefused(check, Info + ".attestationData: the credential's algorithm is not one offered (ES256 -7 or RS256 -257)");
    }

    [Fact]
    public async Task A_packed_attestation_whose_signature_does_not_verify_is_refused_naming_the_statement()
    {
        // A signature over other bytes (the library's InvalidAttestation) and one that is not a DER ECDSA signature (InvalidSignature).
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientData = ClientDataJson();
        var authData = AuthData(key);
        var otherBytes = Make(key, format: "packed", signed: Encoding.UTF8.GetBytes("not the authenticator data and client data hash"));
        var notDer = Input(clientData, AttestationObject("packed", authData, [("alg", Es256), ("sig", new byte[] { 1, 2, 3 })]));

        var overOtherBytes = await Fido2Credentials.VerifyAsync(otherBytes, Expected);
        var notASignature = await Fido2Credentials.VerifyAsync(notDer, Expected);

        AssertRefused(overOtherBytes, Info + ".attestationData: the attestation statement does not verify");
        AssertRefused(notASignature, Info + ".attestationData: the attestation statement does not verify");
    }

    [Fact]
    public async Task A_none_attestation_with_a_statement_is_refused_naming_the_statement()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientData = ClientDataJson();
        var attestation = AttestationObject("none", AuthData(key), [("alg", Es256)]);

        var check = await Fido2Credentials.VerifyAsync(Input(clientData, attestation), Expected);

        AssertRefused(check, Info + ".attestationData: the attestation statement does not verify");
    }

    [Fact]
    public async Task A_packed_attestation_with_an_ecdaa_key_is_refused_naming_attestationData()
    {
        // The library refuses ECDAA (UnimplementedAlgorithm): a code this class leaves to its general refusal.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attestation = AttestationObject("packed", AuthData(key), [("alg", Es256), ("sig", new byte[] { 1, 2, 3 }), ("ecdaaKeyId", new byte[] { 4, 5, 6 })]);

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), attestation), Expected);

        AssertRefused(check, Info + ".attestationData does not verify as a new credential for this relying party");
    }

    [Theory]
    [InlineData("fido-u3f")]
    [InlineData("None")]
    [InlineData("")]
    public async Task An_attestation_format_the_library_does_not_know_is_malformed_naming_the_format(string format)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attestation = AttestationObject(format, AuthData(key), []);

        var check = await Fido2Credentials.VerifyAsync(Input(ClientDataJson(), attestation), Expected);

        AssertBad(check, Info + ".attestationData: the attestation format is not supported");
    }

    private static void AssertBad(Fido2CredentialCheck check, string message)
    {
        Assert.Equal(message, check.Message);
        Assert.Equal(KeyCredentialStatus.Malformed, check.Status);
        Assert.Null(check.Credential);
    }

    private static void AssertRefused(Fido2CredentialCheck check, string message)
    {
        Assert.Equal(message, check.Message);
        Assert.Equal(KeyCredentialStatus.Rejected, check.Status);
        Assert.Null(check.Credential);
    }

    private static string B64(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    /// <summary>
    /// A registration as a software authenticator makes it: clientDataJSON, authenticator data over <paramref name="key"/>
    /// and an attestation object of <paramref name="format"/> ("none", or "packed" self attestation signing
    /// <paramref name="signed"/>, by default authenticatorData || SHA-256(clientDataJSON)).
    /// </summary>
    private static Fido2CredentialInput Make(ECDsa key, string format = "none", byte[]? clientData = null, byte[]? authData = null, byte[]? signed = null)
    {
        clientData ??= ClientDataJson();
        authData ??= AuthData(key);
        (string, object)[] statement = format == "packed"
            ? [("alg", Es256), ("sig", key.SignData(signed ?? [.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))]
            : [];
        return Input(clientData, AttestationObject(format, authData, statement));
    }

    private static Fido2CredentialInput Input(byte[] clientData, byte[] attestation) =>
        new(B64(CredentialId), B64(clientData), B64(attestation), ["internal", "hybrid"]);

    private static byte[] ClientDataJson(string type = Fido2Credentials.CreateType, string? challenge = null, string origin = AllowedOrigin, string extra = "") =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"challenge\":\"{challenge ?? DfnsChallenge}\",\"origin\":\"{origin}\",\"crossOrigin\":false{extra}}}");

    /// <summary>rpIdHash, flags, signCount, then AAGUID, credential id length and id, and the COSE_Key.</summary>
    private static byte[] AuthData(ECDsa key, string rpId = RpId, byte flags = Up | Uv | At, int alg = Es256, int kty = 2) =>
    [
        .. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)),
        flags,
        1, 2, 3, 4, // SignCount, big-endian
        .. Aaguid.ToByteArray(bigEndian: true),
        (byte)(CredentialId.Length >> 8), (byte)CredentialId.Length,
        .. CredentialId,
        .. CoseKey(key, alg, kty),
    ];

    /// <summary>The EC2 COSE_Key: kty, alg, crv, x, y.</summary>
    private static byte[] CoseKey(ECDsa key, int alg, int kty = 2)
    {
        var point = key.ExportParameters(false).Q;
        var writer = new CborWriter();
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(kty);
        writer.WriteInt32(3);
        writer.WriteInt32(alg);
        writer.WriteInt32(-1);
        writer.WriteInt32(key.KeySize == 384 ? 2 : 1);
        writer.WriteInt32(-2);
        writer.WriteByteString(point.X!);
        writer.WriteInt32(-3);
        writer.WriteByteString(point.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>{fmt, attStmt (text keys, integer or byte string values), authData}, and a "pad" byte string when given.</summary>
    private static byte[] AttestationObject(string format, byte[] authData, (string Key, object Value)[] statement, byte[]? pad = null)
    {
        var writer = new CborWriter();
        writer.WriteStartMap(pad is null ? 3 : 4);
        writer.WriteTextString("fmt");
        writer.WriteTextString(format);
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(statement.Length);
        foreach (var (name, value) in statement)
        {
            writer.WriteTextString(name);
            if (value is int number)
            {
                writer.WriteInt32(number);
            }
            else
            {
                writer.WriteByteString((byte[])value);
            }
        }

        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authData);
        if (pad is not null)
        {
            writer.WriteTextString("pad");
            writer.WriteByteString(pad);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The "none" attestation object of <paramref name="authData"/> padded to exactly <paramref name="length"/> bytes.</summary>
    private static byte[] AttestationObjectOf(int length, byte[] authData)
    {
        var unpadded = AttestationObject("none", authData, [], pad: []).Length;
        return Enumerable.Range(length - unpadded - 8, 9)
            .Select(padLength => AttestationObject("none", authData, [], pad: new byte[padLength]))
            .Single(attestation => attestation.Length == length);
    }
}
