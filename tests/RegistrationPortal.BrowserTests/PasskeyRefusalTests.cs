using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The relying party's refusals, with real attestation objects: Chromium's virtual authenticator makes each credential
/// on the host's own origin, the test alters what it needs and posts it to <c>POST /auth/registration</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PasskeyRefusalTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private const string Info = "firstFactorCredential.credentialInfo";

    /// <summary>
    /// In the page: init with the code, then navigator.credentials.create with the challenge's options, where the test
    /// may change the attestation asked for, the challenge (the Dfns SDK's UTF-8 form, the plain form, or another
    /// challenge) and the user verification asked for.
    /// </summary>
    private const string CaptureScript = """
        async ({ orgId, username, code, attestation, challengeForm, userVerification }) => {
            const post = await fetch('/auth/registration/init', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ username, registrationCode: code, orgId }),
            });
            const c = await post.json();
            const utf8 = new TextEncoder();
            const fromB64 = t => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - t.length % 4) % 4)), ch => ch.charCodeAt(0));
            const toB64 = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
            const challenge = challengeForm === 'plain' ? fromB64(c.challenge)
                : challengeForm === 'other' ? crypto.getRandomValues(new Uint8Array(32))
                : utf8.encode(c.challenge);
            const credential = await navigator.credentials.create({ publicKey: {
                challenge,
                rp: c.rp,
                user: { id: utf8.encode(c.user.id), name: c.user.name, displayName: c.user.displayName },
                pubKeyCredParams: c.pubKeyCredParams,
                attestation,
                excludeCredentials: [],
                authenticatorSelection: { ...c.authenticatorSelection, userVerification },
            } });
            return {
                token: c.temporaryAuthenticationToken,
                credId: credential.id,
                clientData: toB64(credential.response.clientDataJSON),
                attestationData: toB64(credential.response.attestationObject),
            };
        }
        """;

    [Fact]
    public async Task Altered_or_foreign_attestations_are_refused_naming_what_failed_and_the_real_one_then_registers()
    {
        var (orgId, email, userId) = await host.Factory.CreatePendingUserAsync("refusals");
        var code = Mail.Code((await host.Smtp.WaitForMessagesAsync(email))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync("register");

        // Wrong origin: the credential as made, with clientDataJSON naming another origin ("none": no signature hides it).
        var none = await CaptureAsync(page, orgId, email, code, attestation: "none");
        var foreign = ClientDataText(none).Replace(host.BaseAddress.GetLeftPart(UriPartial.Authority), "https://evil.example", StringComparison.Ordinal);
        await AssertRefusedAsync(none with { ClientData = B64(Encoding.UTF8.GetBytes(foreign)) }, HttpStatusCode.Unauthorized, Info + ".clientData.origin");

        // Wrong challenge: a real credential made for another challenge.
        await AssertRefusedAsync(await CaptureAsync(page, orgId, email, code, challengeForm: "other"), HttpStatusCode.Unauthorized, Info + ".clientData.challenge");

        // Wrong RP id: the authenticator data's rpIdHash swapped for another relying party's.
        var credential = await CaptureAsync(page, orgId, email, code, attestation: "none");
        var attestationObject = Base64Url.DecodeFromChars(credential.AttestationData);
        var at = RpIdHashOffset(attestationObject);
        SHA256.HashData("evil.example"u8).CopyTo(attestationObject, at);
        await AssertRefusedAsync(credential with { AttestationData = B64(attestationObject) }, HttpStatusCode.Unauthorized, "rpIdHash");

        // User verification missing: a real credential from an authenticator that cannot verify the user (a plain
        // security key), which a browser asked for no user verification makes.
        await using (var keyOnly = await browser.OpenAsync(host.BaseAddress))
        {
            await VirtualAuthenticator.AddAsync(keyOnly.Page, canVerifyUser: false);
            await keyOnly.Page.GotoAsync("register");
            await AssertRefusedAsync(await CaptureAsync(keyOnly.Page, orgId, email, code, userVerification: "discouraged"), HttpStatusCode.Unauthorized, "UV flag");
        }

        // A packed attestation whose signed authenticator data was changed (its sign count): the signature fails.
        credential = await CaptureAsync(page, orgId, email, code);
        attestationObject = Base64Url.DecodeFromChars(credential.AttestationData);
        attestationObject[RpIdHashOffset(attestationObject) + 36] ^= 0x01;
        await AssertRefusedAsync(credential with { AttestationData = B64(attestationObject) }, HttpStatusCode.Unauthorized, Info + ".attestationData");

        // Truncated CBOR.
        credential = await CaptureAsync(page, orgId, email, code);
        var bytes = Base64Url.DecodeFromChars(credential.AttestationData);
        await AssertRefusedAsync(credential with { AttestationData = B64(bytes[..(bytes.Length / 2)]) }, HttpStatusCode.BadRequest, Info + ".attestationData");

        // A credId that is not the attested credential's.
        await AssertRefusedAsync(credential with { CredId = B64(RandomNumberGenerator.GetBytes(16)) }, HttpStatusCode.BadRequest, Info + ".credId");

        // No wrong one registered anything or used the token up: the real credential registers with the same token.
        await host.Factory.AssertUnchangedAsync(userId);
        using (var ok = await host.Http.CompleteAsync(credential.Token, credential.Body))
        {
            Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
            Assert.Equal("Fido2", JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("credential").GetProperty("kind").GetString());
        }

        var stored = Assert.Single(await host.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));
        Assert.Equal("packed", stored.AttestationFormat);
        Assert.Equal(credential.CredId, stored.CredId);
    }

    [Fact]
    public async Task A_credential_id_already_in_the_organization_is_refused_and_a_none_attestation_in_the_plain_challenge_form_registers()
    {
        var orgId = await host.Factory.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("passkey-owner");
        var userId = await host.Factory.InviteAsync(orgId, email);
        var other = PortalFactory.NewEmail("key-owner");
        var otherId = await host.Factory.InviteAsync(orgId, other);
        var code = Mail.Code((await host.Smtp.WaitForMessagesAsync(email))[0]);
        var otherCode = Mail.Code((await host.Smtp.WaitForMessagesAsync(other))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync("register");

        // The passkey is made; before it is registered, another user of the organization registers a Key credential
        // under the very same credential id.
        var passkey = await CaptureAsync(page, orgId, email, code);
        var (otherToken, otherChallenge, _) = await host.Http.StartAsync(orgId, other, otherCode);
        var key = KeyCredentialParts.Build(otherChallenge) with { CredId = passkey.CredId };
        using (var taken = await host.Http.CompleteAsync(otherToken, key.Body()))
        {
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        }

        Assert.True(await host.Factory.IsRegisteredAsync(otherId));
        await AssertRefusedAsync(passkey, HttpStatusCode.BadRequest, Info + ".credId is already registered");
        await host.Factory.AssertUnchangedAsync(userId);

        // A new passkey, attestation "none", the challenge handed over decoded (as most WebAuthn clients do).
        var plain = await CaptureAsync(page, orgId, email, code, attestation: "none", challengeForm: "plain");
        using var ok = await host.Http.CompleteAsync(plain.Token, plain.Body);
        Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
        var stored = Assert.Single(await host.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));
        Assert.Equal("none", stored.AttestationFormat);
    }

    private sealed record Captured(string Token, string CredId, string ClientData, string AttestationData)
    {
        public object Body => new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = new { credId = CredId, clientData = ClientData, attestationData = AttestationData } } };
    }

    private static async Task<Captured> CaptureAsync(IPage page, string orgId, string username, string code, string attestation = "direct", string challengeForm = "dfns", string userVerification = "required")
    {
        var result = await page.EvaluateAsync<JsonElement>(CaptureScript, new { orgId, username, code, attestation, challengeForm, userVerification });
        return new Captured(
            result.GetProperty("token").GetString()!,
            result.GetProperty("credId").GetString()!,
            result.GetProperty("clientData").GetString()!,
            result.GetProperty("attestationData").GetString()!);
    }

    private async Task AssertRefusedAsync(Captured credential, HttpStatusCode status, string names)
    {
        using var response = await host.Http.CompleteAsync(credential.Token, credential.Body);
        var message = await DfnsApi.AssertErrorAsync(response, status);
        Assert.True(message.Contains(names, StringComparison.Ordinal), $"'{message}' should name {names}");
    }

    private static string ClientDataText(Captured credential) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(credential.ClientData));

    private static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);

    /// <summary>Where the authenticator data starts in the attestation object: at its rpIdHash, SHA-256 of "localhost".</summary>
    private static int RpIdHashOffset(byte[] attestationObject)
    {
        var at = attestationObject.AsSpan().IndexOf(SHA256.HashData("localhost"u8));
        Assert.True(at > 0, "the attestation object carries the rpIdHash of localhost");
        return at;
    }
}
