using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>The legacy Dfns headers: absent is fine by default, present is checked strictly, as the contract's table says.</summary>
/// <remarks>Runs once per database provider: <see cref="AuthHeaderTestsOnSqlite"/> and <see cref="AuthHeaderTestsOnPostgres"/>.</remarks>
public abstract class AuthHeaderTests(QueuedMailPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    [Theory]
    [InlineData(Nonces.Form.Base64Url, AuthHeaders.AppId, AuthHeaders.Nonce)]
    [InlineData(Nonces.Form.PaddedBase64Url, AuthHeaders.AppId, AuthHeaders.Nonce)]
    [InlineData(Nonces.Form.PlainJson, AuthHeaders.AppId, AuthHeaders.Nonce)]
    [InlineData(Nonces.Form.Base64Url, "x-dfns-appid", "x-dfns-nonce")]
    public async Task A_valid_app_id_and_nonce_are_accepted_and_the_code_is_issued_through_that_app(Nonces.Form form, string appHeader, string nonceHeader)
    {
        var scene = await Scene.CreateAsync(Host);
        var nonce = Nonces.Create(DateTimeOffset.UtcNow, form: form);
        if (form == Nonces.Form.PaddedBase64Url)
        {
            Assert.EndsWith("=", nonce, StringComparison.Ordinal);
        }

        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(scene.OrgId, scene.Email, (appHeader, scene.AppId), (nonceHeader, nonce)));
        await Host.PublicRequestsResolvedAsync();

        var valid = Assert.Single(await Host.ValidCodesAsync(scene.UserId));
        Assert.NotEqual(scene.InvitationCodeId, valid.Id);
        Assert.Equal(ActorKind.ApiApplication, valid.IssuedThrough);
        Assert.Equal(scene.AppId, valid.IssuedBy);
    }

    [Fact]
    public async Task Without_the_headers_today_s_sdk_is_accepted()
    {
        var scene = await Scene.CreateAsync(Host);
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(scene.OrgId, scene.Email));
        await Host.PublicRequestsResolvedAsync();
        Assert.NotEqual(scene.InvitationCodeId, Assert.Single(await Host.ValidCodesAsync(scene.UserId)).Id);
    }

    /// <summary>A used nonce is refused while its date is in the window, also after the pruner ran (it keeps what is in the window).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_replayed_nonce_is_refused_and_changes_nothing(bool prunedBetween)
    {
        var first = await Scene.CreateAsync(Host);
        var second = await Scene.CreateAsync(Host, first.OrgId, first.AppId);
        var nonce = Nonces.Create(DateTimeOffset.UtcNow);
        using var client = Host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(first.OrgId, first.Email, (AuthHeaders.Nonce, nonce)));
        if (prunedBetween)
        {
            await Host.PublicRequestsResolvedAsync();
            await Host.Services.GetServices<IHostedService>().OfType<UsedNoncePruner>().Single().PruneAsync();
        }

        await DfnsApi.AssertErrorAsync(await client.ResendAsync(second.OrgId, second.Email, (AuthHeaders.Nonce, nonce)), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
        await second.AssertUnchangedAsync(Host);
    }

    [Fact]
    public async Task A_replayed_init_is_refused_as_a_used_nonce_and_opens_no_second_challenge()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("init-replay");
        var code = await Host.QueuedCodeAsync(userId);
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
        using var client = Host.CreateClient();

        string token, challenge;
        using (var first = await client.InitAsync(orgId, email, code, nonce))
        {
            var text = await first.Content.ReadAsStringAsync();
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"init: expected 200, got {(int)first.StatusCode}: {text}");
            var body = JsonDocument.Parse(text).RootElement;
            (token, challenge) = (body.GetProperty("temporaryAuthenticationToken").GetString()!, body.GetProperty("challenge").GetString()!);
        }

        // The same request again, byte for byte, as someone who captured it would send it.
        await DfnsApi.AssertErrorAsync(await client.InitAsync(orgId, email, code, nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        // With a wrong code too: the used nonce is the answer, not the wrong code's.
        await DfnsApi.AssertErrorAsync(await client.InitAsync(orgId, email, "WRNG-0000-AAAA-NONC", nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        Assert.Equal(1, await Host.WithDbAsync(db => db.RegistrationChallenges.CountAsync(c => c.UserId == userId)));

        // And once the user has registered with it: still the used nonce, not what the used code would tell.
        using (var completed = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        }

        await DfnsApi.AssertErrorAsync(await client.InitAsync(orgId, email, code, nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
    }

    [Fact]
    public async Task A_nonce_used_by_one_complete_is_refused_on_another_and_the_refused_token_still_works()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("complete-nonce-a");
        var other = await Host.CreatePendingUserAsync("complete-nonce-b");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, await Host.QueuedCodeAsync(userId));
        var (otherToken, otherChallenge, _) = await client.StartAsync(other.OrgId, other.Email, await Host.QueuedCodeAsync(other.UserId));
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));

        using (var first = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body(), nonce))
        {
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"complete: expected 200, got {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        }

        Assert.True(await Host.IsRegisteredAsync(userId));

        var otherCredential = KeyCredentialParts.Build(otherChallenge);
        await DfnsApi.AssertErrorAsync(await client.CompleteAsync(otherToken, otherCredential.Body(), nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
        await Host.AssertUnchangedAsync(other.UserId);

        // The refusal consumed nothing: the same credential with a fresh nonce registers the user.
        using var retried = await client.CompleteAsync(otherToken, otherCredential.Body(), (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow)));
        Assert.True(retried.StatusCode == HttpStatusCode.OK, $"complete with a fresh nonce: expected 200, got {(int)retried.StatusCode}: {await retried.Content.ReadAsStringAsync()}");
        Assert.True(await Host.IsRegisteredAsync(other.UserId));
    }

    [Fact]
    public async Task A_nonce_used_by_init_is_refused_on_complete()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("init-then-complete");
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
        using var client = Host.CreateClient();
        using var init = await client.InitAsync(orgId, email, await Host.QueuedCodeAsync(userId), nonce);
        var text = await init.Content.ReadAsStringAsync();
        Assert.True(init.StatusCode == HttpStatusCode.OK, $"init: expected 200, got {(int)init.StatusCode}: {text}");
        var body = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var token = body.GetProperty("temporaryAuthenticationToken").GetString();

        await DfnsApi.AssertErrorAsync(
            await client.CompleteAsync(token, KeyCredentialParts.Build(body.GetProperty("challenge").GetString()!).Body(), nonce),
            HttpStatusCode.BadRequest,
            DfnsErrors.NonceUsed);

        // A passkey too: the used nonce is the answer, before its credential is looked at.
        var passkey = new { firstFactorCredential = new { credentialKind = "Fido2", credentialInfo = new { credId = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), clientData = KeyCredentialParts.B64("not JSON"), attestationData = KeyCredentialParts.B64("not CBOR") } } };
        await DfnsApi.AssertErrorAsync(await client.CompleteAsync(token, passkey, nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
        await Host.AssertUnchangedAsync(userId);
    }

    [Fact]
    public async Task A_replayed_complete_is_refused_as_a_used_nonce()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("complete-replay");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, await Host.QueuedCodeAsync(userId));
        var body = KeyCredentialParts.Build(challenge).Body();
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));

        using (var first = await client.CompleteAsync(token, body, nonce))
        {
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"complete: expected 200, got {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        }

        // The same request again, byte for byte: the contract's answer to a second use of a nonce.
        await DfnsApi.AssertErrorAsync(await client.CompleteAsync(token, body, nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
        Assert.Equal(1, await Host.CredentialCountAsync(userId));
    }

    [Theory]
    [InlineData("unknown app", HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized)]
    [InlineData("malformed app id", HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized)]
    [InlineData("inactive app", HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized)]
    [InlineData("another org's app", HttpStatusCode.Forbidden, DfnsErrors.NotAuthorized)]
    [InlineData("app id twice", HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized)]
    [InlineData("short uuid", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    [InlineData("bad base64", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    [InlineData("date too old", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    [InlineData("date too far ahead", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    [InlineData("date not a date", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    [InlineData("nonce without uuid", HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid)]
    public async Task A_wrong_header_gets_the_contract_s_answer_and_changes_nothing(string wrong, HttpStatusCode status, string message)
    {
        var scene = await Scene.CreateAsync(Host);
        var now = DateTimeOffset.UtcNow;
        (string, string)[] headers = wrong switch
        {
            "unknown app" => [(AuthHeaders.AppId, Ids.New(Ids.Application))],
            "malformed app id" => [(AuthHeaders.AppId, "ap-not-an-id")],
            "inactive app" => [(AuthHeaders.AppId, await InactiveAppAsync(scene.OrgId))],
            "another org's app" => [(AuthHeaders.AppId, await Host.CreateApplicationAsync(await Host.CreateOrganizationAsync()))],
            "app id twice" => [(AuthHeaders.AppId, scene.AppId), (AuthHeaders.AppId, scene.AppId)],
            "short uuid" => [(AuthHeaders.Nonce, Nonces.Create(now, uuid: "123456789012"))],
            "bad base64" => [(AuthHeaders.Nonce, "%%%not*base64%%%")],
            "date too old" => [(AuthHeaders.Nonce, Nonces.Create(now.AddMinutes(-6)))],
            "date too far ahead" => [(AuthHeaders.Nonce, Nonces.Create(now.AddMinutes(6)))],
            "date not a date" => [(AuthHeaders.Nonce, Nonces.Base64Url($$"""{"uuid":"{{Guid.NewGuid()}}","date":"yesterday"}"""))],
            "nonce without uuid" => [(AuthHeaders.Nonce, Nonces.Base64Url($$"""{"date":"{{now:O}}"}"""))],
            _ => throw new ArgumentOutOfRangeException(nameof(wrong)),
        };

        using var client = Host.CreateClient();
        await DfnsApi.AssertErrorAsync(await client.ResendAsync(scene.OrgId, scene.Email, headers), status, message);
        await scene.AssertUnchangedAsync(Host);
    }

    [Fact]
    public async Task When_configuration_requires_the_headers_a_missing_one_is_refused()
    {
        await using var strict = new PortalFactory(settings: new Dictionary<string, string?>
        {
            ["Api:RequireAppId"] = "true",
            ["Api:RequireNonce"] = "true",
            ["Email:DispatcherEnabled"] = "false",
        }, provider: fixture.Provider);
        var scene = await Scene.CreateAsync(strict);
        using var client = strict.CreateClient();

        await DfnsApi.AssertErrorAsync(
            await client.ResendAsync(scene.OrgId, scene.Email, (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow))),
            HttpStatusCode.Unauthorized,
            DfnsErrors.NotAuthorized);
        await DfnsApi.AssertErrorAsync(
            await client.ResendAsync(scene.OrgId, scene.Email, (AuthHeaders.AppId, scene.AppId)),
            HttpStatusCode.BadRequest,
            DfnsErrors.NonceInvalid);
        await scene.AssertUnchangedAsync(strict);

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(scene.OrgId, scene.Email, (AuthHeaders.AppId, scene.AppId), (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow))));
        await strict.PublicRequestsResolvedAsync();
        Assert.NotEqual(scene.InvitationCodeId, Assert.Single(await strict.ValidCodesAsync(scene.UserId)).Id);
    }

    private async Task<string> InactiveAppAsync(string orgId)
    {
        var appId = await Host.CreateApplicationAsync(orgId);
        await Host.DeactivateApplicationAsync(appId);
        return appId;
    }

    /// <summary>An organization with an active application and a pending user whose only code is the invitation's.</summary>
    private sealed record Scene(string OrgId, string AppId, string Email, string UserId, Guid InvitationCodeId)
    {
        public static async Task<Scene> CreateAsync(PortalFactory host, string? orgId = null, string? appId = null)
        {
            orgId ??= await host.CreateOrganizationAsync();
            appId ??= await host.CreateApplicationAsync(orgId);
            var email = PortalFactory.NewEmail("headers");
            var userId = await host.InviteAsync(orgId, email);
            var invitation = Assert.Single(await host.ValidCodesAsync(userId));
            return new Scene(orgId, appId, email, userId, invitation.Id);
        }

        /// <summary>No new code and no new mail: the refused request did nothing.</summary>
        public async Task AssertUnchangedAsync(PortalFactory host)
        {
            Assert.Equal(InvitationCodeId, Assert.Single(await host.ValidCodesAsync(UserId)).Id);
            Assert.Single(await host.OutboxAsync(UserId));
        }
    }
}

public sealed class AuthHeaderTestsOnSqlite(QueuedMailPortalFixture fixture) : AuthHeaderTests(fixture), IClassFixture<QueuedMailPortalFixture>;

public sealed class AuthHeaderTestsOnPostgres(PostgresQueuedMailPortalFixture fixture) : AuthHeaderTests(fixture), IClassFixture<PostgresQueuedMailPortalFixture>;
