using System.Net;
using System.Security.Cryptography;
using System.Text;
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
/// the challenge in either form, the type. The attestation object here is not one (real ones come from the browser
/// tests' virtual authenticator), so a credential that passes the client data checks is refused naming attestationData.
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

    private static string ClientData(string type, string challenge, string origin) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"challenge\":\"" + challenge + "\",\"origin\":\"" + origin + "\",\"crossOrigin\":false}"));
}
