using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>A Key credential built the way the Dfns browser SDK's key signer builds it, from a key made in the test.</summary>
public sealed record KeyCredentialParts(string CredId, string ClientData, string AttestationData)
{
    public static string B64(string text) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    public static string ClientDataText(string challenge, string type = "key.create") =>
        "{\"type\":" + JsJson.Quote(type) + ",\"challenge\":" + JsJson.Quote(challenge) + "}";

    /// <summary>JSON.stringify({clientDataHash, publicKey}), built here independently of the product.</summary>
    public static string Fingerprint(string clientDataText, string pem) =>
        "{\"clientDataHash\":\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clientDataText)))
        + "\",\"publicKey\":\"" + pem.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"}";

    public static KeyCredentialParts Build(
        string challenge,
        ECDsa? key = null,
        string? clientDataText = null,
        bool signSomethingElse = false,
        string? attestationText = null)
    {
        using var own = key is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var signer = key ?? own!;
        var pem = signer.ExportSubjectPublicKeyInfoPem();
        var clientData = clientDataText ?? ClientDataText(challenge);
        var fingerprint = Fingerprint(clientData, pem);
        var signed = signSomethingElse ? fingerprint + " " : fingerprint;
        var signature = Convert.ToHexStringLower(signer.SignData(Encoding.UTF8.GetBytes(signed), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var attestation = attestationText ?? "{\"publicKey\":" + JsJson.Quote(pem) + ",\"signature\":" + JsJson.Quote(signature) + "}";
        return new KeyCredentialParts(
            System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)),
            B64(clientData),
            B64(attestation));
    }

    public object Body(string? credentialName = null) => credentialName is null
        ? new { firstFactorCredential = new { credentialKind = "Key", credentialInfo = new { credId = CredId, clientData = ClientData, attestationData = AttestationData } } }
        : new { firstFactorCredential = new { credentialKind = "Key", credentialInfo = new { credId = CredId, clientData = ClientData, attestationData = AttestationData } }, credentialName };
}

public static class RegistrationCalls
{
    public static async Task<HttpResponseMessage> InitAsync(this HttpClient client, string orgId, string username, string code, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/registration/init")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { username, registrationCode = code, orgId }), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> CompleteAsync(this HttpClient client, string? token, object body, params (string Name, string Value)[] headers) =>
        client.CompleteRawAsync(token, JsonSerializer.Serialize(body), headers);

    public static async Task<HttpResponseMessage> CompleteRawAsync(this HttpClient client, string? token, string json, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/registration")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return await client.SendAsync(request);
    }

    /// <summary>Init with the right code: asserts 200 and returns (token, challenge, the whole answer).</summary>
    public static async Task<(string Token, string Challenge, JsonElement Body)> StartAsync(this HttpClient client, string orgId, string username, string code)
    {
        using var response = await client.InitAsync(orgId, username, code);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"init: expected 200, got {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement.Clone();
        return (body.GetProperty("temporaryAuthenticationToken").GetString()!, body.GetProperty("challenge").GetString()!, body);
    }

    /// <summary>The dispatcher is off, so the code is only in the queued invitation; read it as the dispatcher would.</summary>
    public static async Task<string> QueuedCodeAsync(this PortalFactory host, string userId)
    {
        var message = Assert.Single(await host.OutboxAsync(userId));
        Assert.NotNull(message.ProtectedPayload);
        var payload = host.UnprotectPayload(message.ProtectedPayload);
        var match = System.Text.RegularExpressions.Regex.Match(payload, "[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3,}");
        Assert.True(match.Success, "the queued invitation holds a code");
        var code = match.Value;
        Assert.True(host.CodeMatches(code, Assert.Single(await host.ValidCodesAsync(userId)).CodeHash));
        return code;
    }

    public static Task<bool> IsRegisteredAsync(this PortalFactory host, string userId) =>
        host.WithDbAsync(db => db.OrgUsers.AsNoTracking().Where(u => u.Id == userId).Select(u => u.IsRegistered).SingleAsync());

    public static Task<int> CredentialCountAsync(this PortalFactory host, string userId) =>
        host.WithDbAsync(db => db.Credentials.AsNoTracking().CountAsync(c => c.UserId == userId));

    /// <summary>Nothing happened: the user is still pending and has no credential.</summary>
    public static async Task AssertUnchangedAsync(this PortalFactory host, string userId)
    {
        Assert.False(await host.IsRegisteredAsync(userId), "the user is still pending");
        Assert.Equal(0, await host.CredentialCountAsync(userId));
    }
}

/// <summary><c>POST /auth/registration/init</c> and <c>POST /auth/registration</c> with the code from the mail.</summary>
/// <remarks>Runs once per database provider: <see cref="RegistrationCompletionTestsOnSqlite"/> and <see cref="RegistrationCompletionTestsOnPostgres"/>.</remarks>
public abstract class RegistrationCompletionTests(MailPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    private async Task<(string OrgId, string Email, string UserId, string Code)> InvitedAsync(string tag, string? orgId = null)
    {
        orgId ??= await Host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail(tag);
        var userId = await Host.InviteAsync(orgId, email);
        var mail = Assert.Single(await Smtp.WaitForMessagesAsync(email));
        Assert.NotNull(mail.Code);
        return (orgId, email, userId, mail.Code);
    }

    [Fact]
    public async Task The_whole_path_registers_the_user_and_a_later_resend_sends_nothing()
    {
        var (orgId, email, userId, code) = await InvitedAsync("whole");
        using var client = Host.CreateClient();

        var (token, challenge, body) = await client.StartAsync(orgId, email, code);
        Assert.False(string.IsNullOrEmpty(token));
        Assert.False(string.IsNullOrEmpty(challenge));
        Assert.NotNull(KeyCredentials.DecodeBase64Url(challenge));
        var paramsA = body.GetProperty("pubKeyCredParam");
        var paramsB = body.GetProperty("pubKeyCredParams");
        Assert.Equal(paramsA.GetRawText(), paramsB.GetRawText());
        Assert.Equal(new[] { -7, -257 }, paramsA.EnumerateArray().Select(p => p.GetProperty("alg").GetInt32()).ToArray());
        Assert.All(paramsA.EnumerateArray(), p => Assert.Equal("public-key", p.GetProperty("type").GetString()));
        Assert.Equal(userId, body.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(3, token.Split('.').Length);

        // Passkeys first, as Dfns offers them; a discoverable credential with user verification; never a missing list.
        Assert.Equal(new[] { "Fido2", "Key" }, body.GetProperty("supportedCredentialKinds").GetProperty("firstFactor").EnumerateArray().Select(k => k.GetString()).ToArray());
        var selection = body.GetProperty("authenticatorSelection");
        Assert.Equal("required", selection.GetProperty("residentKey").GetString());
        Assert.True(selection.GetProperty("requireResidentKey").GetBoolean());
        Assert.Equal("required", selection.GetProperty("userVerification").GetString());
        Assert.Equal(JsonValueKind.Array, body.GetProperty("excludeCredentials").ValueKind);
        Assert.Equal("direct", body.GetProperty("attestation").GetString());
        await Host.AssertUnchangedAsync(userId);

        // The helper's fingerprint is the product's.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportSubjectPublicKeyInfoPem();
        var clientDataText = KeyCredentialParts.ClientDataText(challenge);
        Assert.Equal(
            KeyCredentials.Fingerprint(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clientDataText))), pem),
            KeyCredentialParts.Fingerprint(clientDataText, pem));

        var credential = KeyCredentialParts.Build(challenge, key);
        using var response = await client.CompleteAsync(token, credential.Body("my laptop"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"complete: {(int)response.StatusCode} {text}");
        DfnsApi.AssertJsonContentType(response);
        var answer = JsonDocument.Parse(text).RootElement;
        var cred = answer.GetProperty("credential");
        Assert.StartsWith("cr-", cred.GetProperty("uuid").GetString(), StringComparison.Ordinal);
        Assert.Equal("Key", cred.GetProperty("kind").GetString());
        Assert.Equal("my laptop", cred.GetProperty("name").GetString());
        var user = answer.GetProperty("user");
        Assert.Equal(userId, user.GetProperty("id").GetString());
        Assert.Equal(email, user.GetProperty("username").GetString(), ignoreCase: true);
        Assert.Equal(orgId, user.GetProperty("orgId").GetString());

        Assert.True(await Host.IsRegisteredAsync(userId));
        var stored = Assert.Single(await Host.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));
        Assert.Equal(cred.GetProperty("uuid").GetString(), stored.Id);
        Assert.Equal(credential.CredId, stored.CredId);
        Assert.Equal(pem, stored.PublicKeyPem);
        Assert.All(await Host.AllCodesAsync(userId), c => Assert.NotNull(c.UsedAt ?? c.InvalidatedAt));
        Assert.Empty(await Host.ValidCodesAsync(userId));

        // A resend for the registered user: the neutral answer, and no mail.
        await Wait.WaitUntilAsync(() => Host.OutboxDrainedAsync(userId), "the invitation is handled");
        var outboxBefore = (await Host.OutboxAsync(userId)).Count;
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await Host.PublicRequestsResolvedAsync();
        Assert.Equal(outboxBefore, (await Host.OutboxAsync(userId)).Count);
        Assert.Empty(await Host.ValidCodesAsync(userId));
        Assert.Single(Smtp.MessagesTo(email));
    }

    [Fact]
    public async Task A_replaced_code_is_not_authorized_and_a_used_code_says_the_user_exists()
    {
        var (orgId, email, userId, oldCode) = await InvitedAsync("replaced");
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        var mails = await Smtp.WaitForMessagesAsync(email, 2);
        var newCode = mails[^1].Code!;
        Assert.NotEqual(oldCode, newCode);

        using (var replaced = await client.InitAsync(orgId, email, oldCode))
        {
            await DfnsApi.AssertErrorAsync(replaced, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        await Host.AssertUnchangedAsync(userId);

        // The replaced code is a wrong try like any other: counted, and audited against the user.
        await Host.PublicRequestsResolvedAsync();
        Assert.Contains(RegistrationPortal.Web.Shared.AuditActions.WrongCode, await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId).Select(a => a.Action).ToListAsync()));

        var (token, challenge, _) = await client.StartAsync(orgId, email, newCode);
        using (var done = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        using var used = await client.InitAsync(orgId, email, newCode);
        await DfnsApi.AssertErrorAsync(used, HttpStatusCode.Unauthorized, "User already exists.");
        Assert.Equal(1, await Host.CredentialCountAsync(userId));
    }

    [Fact]
    public async Task Wrong_challenge_wrong_type_and_bad_signature_are_not_authorized_and_change_nothing()
    {
        var (orgId, email, userId, code) = await InvitedAsync("rejected");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        var otherChallenge = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

        foreach (var (label, credential) in new[]
        {
            ("wrong challenge", KeyCredentialParts.Build(challenge, clientDataText: KeyCredentialParts.ClientDataText(otherChallenge))),
            ("wrong type", KeyCredentialParts.Build(challenge, clientDataText: KeyCredentialParts.ClientDataText(challenge, "webauthn.create"))),
            ("bad signature", KeyCredentialParts.Build(challenge, signSomethingElse: true)),
        })
        {
            using var response = await client.CompleteAsync(token, credential.Body());
            var message = await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
            Assert.True(message == "Not Authorized.", $"{label}: {message}");
            await Host.AssertUnchangedAsync(userId);
        }

        // The failures did not burn the token: the right credential still works.
        using var ok = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_key_on_P384_is_400_naming_the_public_key()
    {
        var (orgId, email, userId, code) = await InvitedAsync("p384");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        using var response = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge, p384).Body());
        var message = await DfnsApi.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("attestationData", message, StringComparison.Ordinal);
        Assert.Contains("publicKey", message, StringComparison.Ordinal);
        await Host.AssertUnchangedAsync(userId);
    }

    [Fact]
    public async Task A_reused_token_a_tampered_token_and_no_token_are_not_authorized()
    {
        var (orgId, email, userId, code) = await InvitedAsync("token");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);

        var parts = token.Split('.');
        var payload = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).RootElement;
        Assert.Equal(userId, payload.GetProperty("sub").GetString());
        Assert.Equal(orgId, payload.GetProperty("https://custom/app_metadata").GetProperty("orgId").GetString());

        // A payload with a later expiry, the signature kept; a flipped signature character; no token at all.
        var forgedPayload = payload.GetRawText().Replace(
            "\"exp\":" + payload.GetProperty("exp").GetInt64(), "\"exp\":" + (payload.GetProperty("exp").GetInt64() + 3600), StringComparison.Ordinal);
        Assert.NotEqual(payload.GetRawText(), forgedPayload);
        var tampered = new[]
        {
            parts[0] + "." + KeyCredentialParts.B64(forgedPayload) + "." + parts[2],
            parts[0] + "." + parts[1] + "." + (parts[2][0] == 'A' ? 'B' : 'A') + parts[2][1..],
            "not-a-token",
            string.Empty,
        };
        foreach (var bad in tampered)
        {
            using var response = await client.CompleteAsync(bad, KeyCredentialParts.Build(challenge).Body());
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        using (var none = await client.CompleteAsync(null, KeyCredentialParts.Build(challenge).Body()))
        {
            await DfnsApi.AssertErrorAsync(none, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        await Host.AssertUnchangedAsync(userId);

        using (var first = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var again = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body());
        await DfnsApi.AssertErrorAsync(again, HttpStatusCode.Unauthorized, "Not Authorized.");

        // A used token is refused before its credential is looked at: a malformed one is not a 400 naming a field.
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var malformed = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge, p384).Body());
        await DfnsApi.AssertErrorAsync(malformed, HttpStatusCode.Unauthorized, "Not Authorized.");

        // And so is a passkey on it.
        var passkey = new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = new { credId = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), clientData = KeyCredentialParts.B64("not JSON"), attestationData = KeyCredentialParts.B64("not CBOR") } } };
        using var fido2 = await client.CompleteAsync(token, passkey);
        await DfnsApi.AssertErrorAsync(fido2, HttpStatusCode.Unauthorized, "Not Authorized.");
        Assert.Equal(1, await Host.CredentialCountAsync(userId));
    }

    [Fact]
    public async Task A_token_of_another_org_with_the_first_orgs_app_id_is_403()
    {
        var orgA = await Host.CreateOrganizationAsync();
        var appA = await Host.CreateApplicationAsync(orgA);
        var (orgB, email, userId, code) = await InvitedAsync("other-org");
        Assert.NotEqual(orgA, orgB);
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgB, email, code);

        using var response = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body(), ("X-DFNS-APPID", appA));
        await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Forbidden, "Not Authorized.");
        await Host.AssertUnchangedAsync(userId);
    }

    [Fact]
    public async Task Malformed_credentials_unknown_fields_and_other_kinds_are_400_naming_the_field()
    {
        var (orgId, email, userId, code) = await InvitedAsync("malformed");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        var good = KeyCredentialParts.Build(challenge);
        const string Info = "firstFactorCredential.credentialInfo";

        string Body(string clientData, string attestationData, string extraTop = "", string extraFirst = "", string extraInfo = "", string kind = "Key", string? credId = null) =>
            "{\"firstFactorCredential\":{\"credentialKind\":\"" + kind + "\",\"credentialInfo\":{\"credId\":\"" + (credId ?? good.CredId)
            + "\",\"clientData\":\"" + clientData + "\",\"attestationData\":\"" + attestationData + "\"" + extraInfo + "}" + extraFirst + "}" + extraTop + "}";

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pemQuoted = JsJson.Quote(key.ExportSubjectPublicKeyInfoPem());
        var cases = new (string Label, string Json, string Names)[]
        {
            ("clientData not base64url", Body("a+b/c*", good.AttestationData), Info + ".clientData"),
            ("attestationData not base64url", Body(good.ClientData, "%%%"), Info + ".attestationData"),
            ("clientData not JSON", Body(KeyCredentialParts.B64("{not json"), good.AttestationData), Info + ".clientData"),
            ("attestationData not JSON", Body(good.ClientData, KeyCredentialParts.B64("[1,")), Info + ".attestationData"),
            ("clientData an array", Body(KeyCredentialParts.B64("[]"), good.AttestationData), Info + ".clientData"),
            ("unknown field in clientData", Body(KeyCredentialParts.B64("{\"type\":\"key.create\",\"challenge\":\"" + challenge + "\",\"extra\":1}"), good.AttestationData), "extra"),
            ("repeated field in clientData", Body(KeyCredentialParts.B64("{\"type\":\"key.create\",\"challenge\":\"" + challenge + "\",\"type\":\"key.create\"}"), good.AttestationData), Info + ".clientData"),
            ("unknown field in attestationData", Body(good.ClientData, KeyCredentialParts.B64("{\"publicKey\":" + pemQuoted + ",\"signature\":\"3045\",\"extra\":true}")), "extra"),
            ("unknown top-level field", Body(good.ClientData, good.AttestationData, extraTop: ",\"surprise\":1"), "surprise"),
            ("unknown field in firstFactorCredential", Body(good.ClientData, good.AttestationData, extraFirst: ",\"surprise\":1"), "firstFactorCredential.surprise"),
            ("unknown field in credentialInfo", Body(good.ClientData, good.AttestationData, extraInfo: ",\"surprise\":1"), Info + ".surprise"),
            ("a Key credential sent as Fido2", Body(good.ClientData, good.AttestationData, kind: "Fido2"), Info + ".clientData"),
            ("Fido2 with an unknown transport", Body(good.ClientData, good.AttestationData, kind: "Fido2", extraInfo: ",\"transports\":[\"pigeon\"]"), Info + ".transports"),
            ("Key with transports", Body(good.ClientData, good.AttestationData, extraInfo: ",\"transports\":[\"usb\"]"), Info + ".transports"),
            ("Password", Body(good.ClientData, good.AttestationData, kind: "Password"), "firstFactorCredential.credentialKind"),
            ("empty credentialKind", Body(good.ClientData, good.AttestationData, kind: ""), "firstFactorCredential.credentialKind is required"),
            ("empty credId", Body(good.ClientData, good.AttestationData, credId: ""), Info + ".credId is required"),
            ("empty attestationData", Body(good.ClientData, ""), Info + ".attestationData is required"),
            ("credId not base64url", Body(good.ClientData, good.AttestationData, credId: "a+b/c="), Info + ".credId must be base64url"),
            ("credentialName too long", Body(good.ClientData, good.AttestationData, extraTop: ",\"credentialName\":\"" + new string('n', 201) + "\""), "credentialName must be at most 200 characters, without control characters"),
            ("control character in credentialName", Body(good.ClientData, good.AttestationData, extraFirst: ",\"credentialName\":\"my\\u0007key\""), "credentialName must be at most 200 characters, without control characters"),
            ("Fido2 with more transports than there are", Body(good.ClientData, good.AttestationData, kind: "Fido2", extraInfo: ",\"transports\":[\"usb\",\"nfc\",\"ble\",\"internal\",\"hybrid\",\"smart-card\",\"usb\"]"), Info + ".transports must be an array of transports (usb, nfc, ble, internal, hybrid, smart-card)"),
            ("Fido2 with a repeated transport", Body(good.ClientData, good.AttestationData, kind: "Fido2", extraInfo: ",\"transports\":[\"usb\",\"nfc\",\"usb\"]"), Info + ".transports must be an array of distinct transports"),

            // Known, distinct transports pass the body's checks: the Key data sent as Fido2 is what is refused.
            ("Fido2 with known distinct transports", Body(good.ClientData, good.AttestationData, kind: "Fido2", extraInfo: ",\"transports\":[\"usb\",\"nfc\",\"internal\"]"), Info + ".clientData"),
            ("Fido2 with every transport once", Body(good.ClientData, good.AttestationData, kind: "Fido2", extraInfo: ",\"transports\":[\"usb\",\"nfc\",\"ble\",\"internal\",\"hybrid\",\"smart-card\"]"), Info + ".clientData"),
            ("lone surrogate in credentialName", Body(good.ClientData, good.AttestationData, extraFirst: ",\"credentialName\":\"key \\ud800\""), "firstFactorCredential.credentialName must be valid Unicode text"),
            ("lone surrogate in a field name", Body(good.ClientData, good.AttestationData, extraInfo: ",\"\\udc00\":1"), "field names in " + Info + " must be valid Unicode text"),
        };

        foreach (var (label, json, names) in cases)
        {
            using var response = await client.CompleteRawAsync(token, json);
            var message = await DfnsApi.AssertErrorAsync(response, HttpStatusCode.BadRequest);
            Assert.True(message.Contains(names, StringComparison.Ordinal), $"{label}: '{message}' should name {names}");
        }

        await Host.AssertUnchangedAsync(userId);

        // None of it used the token up; a name of exactly 200 characters is taken.
        var longest = new string('n', 200);
        using var ok = await client.CompleteAsync(token, good.Body(longest));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(longest, JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("credential").GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_top_level_credentialName_wins_and_the_credentials_own_name_is_used_without_it()
    {
        using var client = Host.CreateClient();
        foreach (var (tag, top, inner, expected) in new[] { ("both-names", "top name", "inner name", "top name"), ("inner-name", null, "inner name", "inner name") })
        {
            var (orgId, email, _, code) = await InvitedAsync(tag);
            var (token, challenge, _) = await client.StartAsync(orgId, email, code);
            var credential = KeyCredentialParts.Build(challenge);
            var info = new { credId = credential.CredId, clientData = credential.ClientData, attestationData = credential.AttestationData };
            object body = top is null
                ? new { firstFactorCredential = new { credentialKind = "Key", credentialInfo = info, credentialName = inner } }
                : new { firstFactorCredential = new { credentialKind = "Key", credentialInfo = info, credentialName = inner }, credentialName = top };
            using var response = await client.CompleteAsync(token, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{tag}: {(int)response.StatusCode} {text}");
            Assert.Equal(expected, JsonDocument.Parse(text).RootElement.GetProperty("credential").GetProperty("name").GetString());
        }
    }

    private Task<List<AuditEvent>> AuditsAsync(string userId, string action) =>
        Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId && a.Action == action).ToListAsync());

    [Fact]
    public async Task Two_users_of_one_org_each_register_as_themselves_and_neither_code_opens_the_other()
    {
        var (orgId, emailA, userA, codeA) = await InvitedAsync("pair-a");
        var (_, emailB, userB, codeB) = await InvitedAsync("pair-b", orgId);
        using var client = Host.CreateClient();

        // A's code under B's name is a wrong code, whoever holds it.
        using (var crossed = await client.InitAsync(orgId, emailB, codeA))
        {
            await DfnsApi.AssertErrorAsync(crossed, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        // B registers through the API: B, not A (the first user of the org), is registered, and the audit says so.
        var (tokenB, challengeB, _) = await client.StartAsync(orgId, emailB, codeB);
        var jtiB = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(tokenB.Split('.')[1])).RootElement;
        var started = Assert.Single(await AuditsAsync(userB, AuditActions.RegistrationStarted));
        var prefix = $"challenge {jtiB.GetProperty("jti").GetString()}, expires ";
        Assert.StartsWith(prefix, started.Details, StringComparison.Ordinal);
        Assert.Equal(jtiB.GetProperty("exp").GetInt64(), DateTimeOffset.Parse(started.Details![prefix.Length..], System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());

        using (var doneB = await client.CompleteAsync(tokenB, KeyCredentialParts.Build(challengeB).Body()))
        {
            var text = await doneB.Content.ReadAsStringAsync();
            Assert.True(doneB.StatusCode == HttpStatusCode.OK, $"B: {(int)doneB.StatusCode} {text}");
            var user = JsonDocument.Parse(text).RootElement.GetProperty("user");
            Assert.Equal(emailB, user.GetProperty("username").GetString(), ignoreCase: true);
            var credentialB = JsonDocument.Parse(text).RootElement.GetProperty("credential").GetProperty("uuid").GetString();
            Assert.Equal($"Key credential {credentialB}", Assert.Single(await AuditsAsync(userB, AuditActions.RegistrationCompleted)).Details);
        }

        Assert.True(await Host.IsRegisteredAsync(userB));
        await Host.AssertUnchangedAsync(userA);

        // A registers through the register page, with another key: B's credential in the org is no duplicate of it.
        var (tokenA, challengeA, _) = await client.StartAsync(orgId, emailA, codeA);
        using (var doneA = await client.CompleteAsync(tokenA, KeyCredentialParts.Build(challengeA).Body(), (RegistrationApi.DoorHeader, Actor.RegisterPageDoor), ("Sec-Fetch-Site", "same-origin")))
        {
            var text = await doneA.Content.ReadAsStringAsync();
            Assert.True(doneA.StatusCode == HttpStatusCode.OK, $"A: {(int)doneA.StatusCode} {text}");
            var credentialA = JsonDocument.Parse(text).RootElement.GetProperty("credential").GetProperty("uuid").GetString();
            Assert.Equal($"Key credential {credentialA}, door {Actor.RegisterPageDoor}", Assert.Single(await AuditsAsync(userA, AuditActions.RegistrationCompleted)).Details);
        }

        Assert.True(await Host.IsRegisteredAsync(userA));
        Assert.Equal(1, await Host.CredentialCountAsync(userA));
        Assert.Equal(1, await Host.CredentialCountAsync(userB));
    }

    [Fact]
    public async Task A_credId_already_registered_in_the_org_is_400_naming_it_and_in_another_org_it_registers()
    {
        var (orgId, email, userId, code) = await InvitedAsync("dup-first");
        var (_, emailTwin, userTwin, codeTwin) = await InvitedAsync("dup-twin", orgId);
        var (otherOrg, emailOther, userOther, codeOther) = await InvitedAsync("dup-other");
        using var client = Host.CreateClient();

        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        var first = KeyCredentialParts.Build(challenge);
        using (var done = await client.CompleteAsync(token, first.Body()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        var (tokenTwin, challengeTwin, _) = await client.StartAsync(orgId, emailTwin, codeTwin);
        using (var twin = await client.CompleteAsync(tokenTwin, (KeyCredentialParts.Build(challengeTwin) with { CredId = first.CredId }).Body()))
        {
            await DfnsApi.AssertErrorAsync(twin, HttpStatusCode.BadRequest, "firstFactorCredential.credentialInfo.credId is already registered in this organization");
        }

        await Host.AssertUnchangedAsync(userTwin);

        var (tokenOther, challengeOther, _) = await client.StartAsync(otherOrg, emailOther, codeOther);
        using (var other = await client.CompleteAsync(tokenOther, (KeyCredentialParts.Build(challengeOther) with { CredId = first.CredId }).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        Assert.True(await Host.IsRegisteredAsync(userOther));
    }

    [Fact]
    public async Task The_right_code_forgives_only_its_own_codes_wrong_tries()
    {
        var (orgId, email, userId, code) = await InvitedAsync("forgive-own");
        var (_, emailOther, userOther, _) = await InvitedAsync("forgive-other", orgId);
        using var client = Host.CreateClient();
        foreach (var (who, wrong) in new[] { (email, "WRNG-0000-AAAA-FRGV"), (emailOther, "WRNG-0001-AAAA-FRGV") })
        {
            using var response = await client.InitAsync(orgId, who, wrong);
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        await Host.PublicRequestsResolvedAsync();
        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userOther)).FailedAttempts);

        await client.StartAsync(orgId, email, code);
        Assert.Equal(0, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userOther)).FailedAttempts);
    }

    /// <summary>The address's streak of wrong codes for the user ends with the right code (five more are answered); its streak for a neighbour does not.</summary>
    [Fact]
    public async Task The_right_code_forgives_the_addresss_wrong_tries_for_that_user_only()
    {
        var (orgId, email, _, code) = await InvitedAsync("forgive-streak");
        var (_, emailOther, _, _) = await InvitedAsync("forgive-neighbour", orgId);
        using var client = Host.CreateClient();
        var tries = 0;
        async Task<HttpStatusCode> WrongAsync(string who)
        {
            using var response = await client.InitAsync(orgId, who, "WRNG-" + (tries++).ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "-AAAA-STRK");
            return response.StatusCode;
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WrongAsync(email));
            Assert.Equal(HttpStatusCode.Unauthorized, await WrongAsync(emailOther));
        }

        await client.StartAsync(orgId, email, code);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WrongAsync(email));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await WrongAsync(email));
        Assert.Equal(HttpStatusCode.Unauthorized, await WrongAsync(emailOther));
        Assert.Equal(HttpStatusCode.TooManyRequests, await WrongAsync(emailOther));
    }

    [Fact]
    public async Task A_token_whose_code_was_replaced_after_init_is_not_authorized()
    {
        var (orgId, email, userId, code) = await InvitedAsync("replaced-later");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await Smtp.WaitForMessagesAsync(email, 2);

        using var response = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body());
        await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "Not Authorized.");
        await Host.AssertUnchangedAsync(userId);
    }

    [Fact]
    public async Task Eight_concurrent_completes_with_one_token_register_exactly_once()
    {
        var (orgId, email, userId, code) = await InvitedAsync("race");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        var credentials = Enumerable.Range(0, 8).Select(_ => KeyCredentialParts.Build(challenge)).ToList();

        using var start = new ManualResetEventSlim(false);
        var tasks = credentials.Select(c => Task.Run(async () =>
        {
            start.Wait();
            using var response = await client.CompleteAsync(token, c.Body());
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("""{"error":{"message":"Not Authorized."}}""", r.Body);
        });
        Assert.Equal(1, await Host.CredentialCountAsync(userId));
        Assert.True(await Host.IsRegisteredAsync(userId));
    }

    [Fact]
    public async Task Fifty_concurrent_wrong_codes_from_one_address_get_five_answers_and_the_code_lives_on()
    {
        var (orgId, email, userId, code) = await InvitedAsync("guess");
        using var client = Host.CreateClient();

        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            start.Wait();
            var wrong = "WRNG-" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "-AAAA-AAAA";
            using var response = await client.InitAsync(orgId, email, wrong);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        // However many run at once, the address gets exactly five verdicts; the rest are told to wait.
        Assert.Equal(5, results.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.All(results.Where(r => r.StatusCode == HttpStatusCode.Unauthorized), r => Assert.Equal("""{"error":{"message":"Not Authorized."}}""", r.Body));
        Assert.Equal(45, results.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));

        // The right code, from that address too, is refused until the window ends; the code itself still works.
        using (var right = await client.InitAsync(orgId, email, code))
        {
            await DfnsApi.AssertErrorAsync(right, HttpStatusCode.TooManyRequests);
        }

        await Host.PublicRequestsResolvedAsync();
        var row = Assert.Single(await Host.ValidCodesAsync(userId));
        Assert.Equal(5, row.FailedAttempts);
        var audits = await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId).Select(a => a.Action).ToListAsync());
        Assert.Equal(5, audits.Count(a => a == RegistrationPortal.Web.Shared.AuditActions.WrongCode));
        Assert.DoesNotContain(RegistrationPortal.Web.Shared.AuditActions.CodeLocked, audits);
        await Host.AssertUnchangedAsync(userId);
    }
}

/// <summary>Expiry of the code and of the temporary token, on a fake clock (the code read from the queued mail).</summary>
/// <remarks>Runs once per database provider: <see cref="RegistrationCompletionClockTestsOnSqlite"/> and <see cref="RegistrationCompletionClockTestsOnPostgres"/>.</remarks>
public abstract class RegistrationCompletionClockTests
{
    protected abstract DatabaseProvider Provider { get; }

    private PortalFactory ClockHost(FakeTimeProvider time, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Email:DispatcherEnabled"] = "false",
            ["Registration:CodeLifetime"] = "3.00:00:00",
            ["Registration:ChallengeLifetime"] = "00:10:00",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new(settings: settings, services: s => s.AddSingleton<TimeProvider>(time), provider: Provider);
    }

    /// <summary>
    /// An address past either wrong-code limit is told to wait even when it sends a registered user's used code: the
    /// limits come first, so a throttled address does not learn that the user exists.
    /// </summary>
    [Fact]
    public async Task A_throttled_address_is_told_to_wait_not_that_the_user_exists()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ClockHost(time, ("Registration:MaxFailedAttempts", "2"), ("Registration:MaxFailedAttemptsPerAddress", "3"));
        var (orgId, email, userId) = await host.CreatePendingUserAsync("throttled-registered");
        var code = await host.QueuedCodeAsync(userId);
        using var client = host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        using (var done = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        async Task<HttpStatusCode> InitStatusAsync(string username, string tried)
        {
            using var response = await client.InitAsync(orgId, username, tried);
            return response.StatusCode;
        }

        // Past the per-user limit.
        Assert.Equal(HttpStatusCode.Unauthorized, await InitStatusAsync(email, "WRNG-0000-AAAA-THRT"));
        Assert.Equal(HttpStatusCode.Unauthorized, await InitStatusAsync(email, "WRNG-0001-AAAA-THRT"));
        using (var used = await client.InitAsync(orgId, email, code))
        {
            await DfnsApi.AssertErrorAsync(used, HttpStatusCode.TooManyRequests);
        }

        // A window later, past the per-address limit only: one wrong code for the user, two for nobody.
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await InitStatusAsync(email, "WRNG-0002-AAAA-THRT"));
        Assert.Equal(HttpStatusCode.Unauthorized, await InitStatusAsync(PortalFactory.NewEmail("nobody"), "WRNG-0003-AAAA-THRT"));
        Assert.Equal(HttpStatusCode.Unauthorized, await InitStatusAsync(PortalFactory.NewEmail("nobody"), "WRNG-0004-AAAA-THRT"));
        using (var used = await client.InitAsync(orgId, email, code))
        {
            await DfnsApi.AssertErrorAsync(used, HttpStatusCode.TooManyRequests);
        }

        // And once the window has passed, the used code says so.
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        using var later = await client.InitAsync(orgId, email, code);
        await DfnsApi.AssertErrorAsync(later, HttpStatusCode.Unauthorized, "User already exists.");
    }

    [Fact]
    public async Task A_code_past_its_lifetime_is_400_Registration_code_expired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ClockHost(time);
        var (orgId, email, userId) = await host.CreatePendingUserAsync("expired-code");
        var code = await host.QueuedCodeAsync(userId);
        using var client = host.CreateClient();

        time.Advance(TimeSpan.FromHours(72) + TimeSpan.FromSeconds(1));
        using var response = await client.InitAsync(orgId, email, code);
        await DfnsApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "Registration code expired");
        await host.AssertUnchangedAsync(userId);

        // The try is on the user's record: it reset the code's wrong tries and this address's.
        var audit = Assert.Single(await host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId && a.Action == AuditActions.ExpiredCodeTyped).ToListAsync()));
        Assert.Equal(orgId, audit.OrgId);
        Assert.Contains("forgiven", audit.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_the_codes_very_expiry_instant_completing_is_401_and_init_is_400_Registration_code_expired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ClockHost(time);
        var (orgId, email, userId) = await host.CreatePendingUserAsync("expiry-instant");
        var code = await host.QueuedCodeAsync(userId);
        var expiresAt = Assert.Single(await host.ValidCodesAsync(userId)).ExpiresAt;
        using var client = host.CreateClient();

        // A challenge opened five minutes before the code expires outlives it; at the code's instant it registers nothing.
        time.SetUtcNow(expiresAt - TimeSpan.FromMinutes(5));
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        time.SetUtcNow(expiresAt);
        using (var response = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        await host.AssertUnchangedAsync(userId);

        using var init = await client.InitAsync(orgId, email, code);
        await DfnsApi.AssertErrorAsync(init, HttpStatusCode.BadRequest, "Registration code expired");
        await host.AssertUnchangedAsync(userId);
    }

    [Fact]
    public async Task A_token_past_the_challenge_lifetime_is_401_and_changes_nothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ClockHost(time);
        var (orgId, email, userId) = await host.CreatePendingUserAsync("expired-token");
        var code = await host.QueuedCodeAsync(userId);
        using var client = host.CreateClient();

        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        using var response = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body());
        await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "Not Authorized.");
        await host.AssertUnchangedAsync(userId);

        // The code itself still works: a fresh init on the same clock succeeds.
        var (fresh, freshChallenge, _) = await client.StartAsync(orgId, email, code);
        using var ok = await client.CompleteAsync(fresh, KeyCredentialParts.Build(freshChallenge).Body());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}

public sealed class RegistrationCompletionTestsOnSqlite(MailPortalFixture fixture) : RegistrationCompletionTests(fixture), IClassFixture<MailPortalFixture>;

public sealed class RegistrationCompletionTestsOnPostgres(PostgresMailPortalFixture fixture) : RegistrationCompletionTests(fixture), IClassFixture<PostgresMailPortalFixture>;

public sealed class RegistrationCompletionClockTestsOnSqlite : RegistrationCompletionClockTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class RegistrationCompletionClockTestsOnPostgres : RegistrationCompletionClockTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
