using System.Formats.Cbor;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>A host reached at https://portal.example.com whose passkeys may also be made by https://app.example.com.</summary>
public sealed class AllowedOriginsMailPortalFixture : PortalFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Portal:PublicBaseUrl"] = "https://portal.example.com/",
        ["Registration:AllowedOrigins:0"] = "https://app.example.com",
    };
}

/// <summary>
/// Which client data a Fido2 completion gets past: the origin (Portal:PublicBaseUrl's and Registration:AllowedOrigins),
/// the challenge in either form, the type. The origin cases' attestation object is not one, so a credential that passes
/// the client data checks is refused naming attestationData; the stored-passkey test makes a real one in software.
/// </summary>
public sealed class Fido2OriginTests(AllowedOriginsMailPortalFixture fixture) : IClassFixture<AllowedOriginsMailPortalFixture>
{
    private const string Info = "firstFactorCredential.credentialInfo";

    [Fact]
    public async Task Only_the_public_base_urls_origin_and_the_allowed_ones_get_past_the_client_data()
    {
        var (orgId, email, userId) = await fixture.Factory.CreatePendingUserAsync("fido2-origins");
        var code = (await fixture.Smtp.WaitForMessagesAsync(email))[0].Code!;
        using var client = fixture.Factory.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        var dfnsForm = KeyCredentialParts.B64(challenge);

        var cases = new (string Label, string ClientData, HttpStatusCode Status, string Names)[]
        {
            ("the public base URL's origin", ClientData("webauthn.create", dfnsForm, "https://portal.example.com"), HttpStatusCode.BadRequest, Info + ".attestationData"),
            ("an allowed origin", ClientData("webauthn.create", dfnsForm, "https://app.example.com"), HttpStatusCode.BadRequest, Info + ".attestationData"),
            ("the plain challenge form", ClientData("webauthn.create", challenge, "https://portal.example.com"), HttpStatusCode.BadRequest, Info + ".attestationData"),
            ("another origin", ClientData("webauthn.create", dfnsForm, "https://evil.example"), HttpStatusCode.Unauthorized, Info + ".clientData.origin"),
            ("another port", ClientData("webauthn.create", dfnsForm, "https://portal.example.com:8443"), HttpStatusCode.Unauthorized, Info + ".clientData.origin"),
            ("plain http", ClientData("webauthn.create", dfnsForm, "http://portal.example.com"), HttpStatusCode.Unauthorized, Info + ".clientData.origin"),
            ("another challenge", ClientData("webauthn.create", KeyCredentialParts.B64("not the challenge"), "https://portal.example.com"), HttpStatusCode.Unauthorized, Info + ".clientData.challenge"),
            ("an assertion's type", ClientData("webauthn.get", dfnsForm, "https://portal.example.com"), HttpStatusCode.Unauthorized, Info + ".clientData.type"),
            ("no origin", KeyCredentialParts.B64("{\"type\":\"webauthn.create\",\"challenge\":\"" + dfnsForm + "\"}"), HttpStatusCode.BadRequest, Info + ".clientData"),
        };

        foreach (var (label, clientData, status, names) in cases)
        {
            var body = new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = new { credId = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), clientData, attestationData = KeyCredentialParts.B64("not CBOR") } } };
            using var response = await client.CompleteAsync(token, body);
            var message = await DfnsApi.AssertErrorAsync(response, status);
            Assert.True(message.Contains(names, StringComparison.Ordinal), $"{label}: '{message}' should name {names}");
        }

        await fixture.Factory.AssertUnchangedAsync(userId);
    }

    /// <summary>
    /// A passkey as a software authenticator makes one ("none" attestation, rp.id the request's host): stored with its
    /// trimmed name and its transports, or, with neither (an empty list, or none sent at all, as a browser without
    /// <c>getTransports()</c> does), as "Passkey" and no transports.
    /// </summary>
    [Fact]
    public async Task A_passkey_is_stored_with_its_trimmed_name_and_transports_or_the_default_name_and_none()
    {
        using var client = fixture.Factory.CreateClient();
        foreach (var (name, transports, expectedName, expectedTransports) in new (string? Name, string[]? Transports, string ExpectedName, string? ExpectedTransports)[]
        {
            ("  my phone  ", ["internal", "hybrid"], "my phone", "internal,hybrid"),
            (null, [], "Passkey", null),
            (null, null, "Passkey", null),
        })
        {
            var (orgId, email, userId) = await fixture.Factory.CreatePendingUserAsync("fido2-stored");
            var code = (await fixture.Smtp.WaitForMessagesAsync(email))[0].Code!;
            var (token, challenge, _) = await client.StartAsync(orgId, email, code);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var credId = RandomNumberGenerator.GetBytes(32);
            var clientData = ClientData("webauthn.create", KeyCredentialParts.B64(challenge), "https://portal.example.com");
            var (id, attestationData) = (System.Buffers.Text.Base64Url.EncodeToString(credId), System.Buffers.Text.Base64Url.EncodeToString(NoneAttestation(key, credId, "localhost")));
            object info = transports is null
                ? new { credId = id, clientData, attestationData }
                : new { credId = id, clientData, attestationData, transports };
            object body = name is null
                ? new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = info } }
                : new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = info }, credentialName = name };

            using var response = await client.CompleteAsync(token, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{expectedName}: {(int)response.StatusCode} {text}");
            var credential = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("credential");
            Assert.Equal("Fido2", credential.GetProperty("kind").GetString());
            Assert.Equal(expectedName, credential.GetProperty("name").GetString());
            var stored = await fixture.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().SingleAsync(c => c.UserId == userId));
            Assert.Equal(expectedName, stored.Name);
            Assert.Equal(expectedTransports, stored.Transports);
        }
    }

    /// <summary>{fmt: "none", attStmt: {}, authData}: rpIdHash, flags UP|UV|AT, signCount, AAGUID, the credential id and its EC2 COSE_Key.</summary>
    private static byte[] NoneAttestation(ECDsa key, byte[] credId, string rpId)
    {
        var point = key.ExportParameters(false).Q;
        var cose = new CborWriter();
        cose.WriteStartMap(5);
        cose.WriteInt32(1);
        cose.WriteInt32(2);
        cose.WriteInt32(3);
        cose.WriteInt32(-7);
        cose.WriteInt32(-1);
        cose.WriteInt32(1);
        cose.WriteInt32(-2);
        cose.WriteByteString(point.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(point.Y!);
        cose.WriteEndMap();
        byte[] authData =
        [
            .. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)),
            0x45,
            0, 0, 0, 0,
            .. new byte[16],
            (byte)(credId.Length >> 8), (byte)credId.Length,
            .. credId,
            .. cose.Encode(),
        ];
        var writer = new CborWriter();
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString("none");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authData);
        writer.WriteEndMap();
        return writer.Encode();
    }

    private static string ClientData(string type, string challenge, string origin) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"challenge\":\"" + challenge + "\",\"origin\":\"" + origin + "\",\"crossOrigin\":false}"));
}
