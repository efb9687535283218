using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Shared;
using static RegistrationPortal.IntegrationTests.ServiceAccounts.UsersApiClient;

namespace RegistrationPortal.IntegrationTests.ServiceAccounts;

/// <summary>
/// The users API as an attacker meets it: another organization's token, a user action replayed, moved to another
/// path, put on another body or signed by another key, a deactivated or read-only service account.
/// </summary>
public class UsersApiSecurityTests(QueuedMailPortalFixture fixture) : IClassFixture<QueuedMailPortalFixture>
{
    private const string InvalidAction = "The user action is invalid, expired or already used.";
    private const string OtherRequest = "The user action was signed for another request.";

    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task A_token_of_another_organization_finds_a_user_of_A_exactly_as_an_unknown_id_and_changes_nothing()
    {
        var (_, _, userOfA) = await Host.CreatePendingUserAsync("org-a");
        var accountOfB = await Host.CreateServiceAccountAsync(await Host.CreateOrganizationAsync());
        var client = Host.CreateClient();
        const string unknown = "us-aaaaa-bbbbb-cccccccccccccccc";

        using var read = await client.SendAsync(accountOfB, HttpMethod.Get, $"/auth/users/{userOfA}");
        using var readUnknown = await client.SendAsync(accountOfB, HttpMethod.Get, $"/auth/users/{unknown}");
        Assert.Equal("User not found.", await DfnsApi.AssertErrorAsync(read, HttpStatusCode.NotFound));
        Assert.Equal("User not found.", await DfnsApi.AssertErrorAsync(readUnknown, HttpStatusCode.NotFound));

        using var deactivate = await client.SignedAsync(accountOfB, HttpMethod.Put, DeactivatePath(userOfA), "{}");
        using var deactivateUnknown = await client.SignedAsync(accountOfB, HttpMethod.Put, DeactivatePath(unknown), "{}");
        Assert.Equal("User not found.", await DfnsApi.AssertErrorAsync(deactivate, HttpStatusCode.NotFound));
        Assert.Equal("User not found.", await DfnsApi.AssertErrorAsync(deactivateUnknown, HttpStatusCode.NotFound));
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userOfA).Select(u => u.IsActive).SingleAsync()));

        var list = await JsonAsync(await client.SendAsync(accountOfB, HttpMethod.Get, "/auth/users"));
        Assert.Empty(list.GetProperty("items").EnumerateArray());

        // Both refusals leave the same trace, so the audit trail of B's organization shows the probing.
        var denied = await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == accountOfB.OrgId && e.Action == AuditActions.AccessDenied).Select(e => e.SubjectId).ToListAsync());
        Assert.Equal(2, denied.Count(s => s == userOfA));
        Assert.Equal(2, denied.Count(s => s == unknown));
    }

    [Fact]
    public async Task A_user_action_works_once_and_a_replay_is_refused()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("replay");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var userAction = await client.UserActionAsync(account, "PUT", DeactivatePath(userId), "{}");

        var first = await JsonAsync(await client.SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}", userAction));
        Assert.False(first.GetProperty("isActive").GetBoolean());
        await JsonAsync(await client.SignedAsync(account, HttpMethod.Put, ActivatePath(userId), "{}"));

        using var replay = await client.SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}", userAction);
        await DfnsApi.AssertErrorAsync(replay, HttpStatusCode.Unauthorized, InvalidAction);
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));
    }

    [Fact]
    public async Task Of_many_concurrent_calls_with_one_user_action_exactly_one_is_accepted()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var body = JsonSerializer.Serialize(new { email = PortalFactory.NewEmail("race"), kind = "EndUser" });
        var userAction = await client.UserActionAsync(account, "POST", "/auth/users", body);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.SendAsync(account, HttpMethod.Post, "/auth/users", body, userAction)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(1, await Host.WithDbAsync(db => db.OrgUsers.CountAsync(u => u.OrgId == orgId)));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task An_expired_user_action_and_an_expired_token_are_refused()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("expired");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var userAction = await client.UserActionAsync(account, "PUT", DeactivatePath(userId), "{}");
        var past = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Host.WithDbAsync(db => db.Set<UserAction>().Where(a => a.ServiceAccountId == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.ExpiresAt, past)));

        using var late = await client.SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}", userAction);
        await DfnsApi.AssertErrorAsync(late, HttpStatusCode.Unauthorized, InvalidAction);
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));

        await Host.WithDbAsync(db => db.Set<ServiceAccount>().Where(a => a.Id == account.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.ExpiresAt, past)));
        using var expiredToken = await client.SendAsync(account, HttpMethod.Get, "/auth/users");
        await DfnsApi.AssertErrorAsync(expiredToken, HttpStatusCode.Unauthorized, "Not Authorized.");
    }

    [Fact]
    public async Task A_user_action_signed_for_one_path_is_refused_on_another()
    {
        var (orgId, _, signedFor) = await Host.CreatePendingUserAsync("path-a");
        var other = await Host.InviteAsync(orgId, PortalFactory.NewEmail("path-b"));
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var userAction = await client.UserActionAsync(account, "PUT", DeactivatePath(signedFor), "{}");

        using var moved = await client.SendAsync(account, HttpMethod.Put, DeactivatePath(other), "{}", userAction);
        await DfnsApi.AssertErrorAsync(moved, HttpStatusCode.Forbidden, OtherRequest);
        using var otherMethod = await client.SendAsync(account, HttpMethod.Put, ActivatePath(signedFor), "{}", userAction);
        await DfnsApi.AssertErrorAsync(otherMethod, HttpStatusCode.Forbidden, OtherRequest);
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == other).Select(u => u.IsActive).SingleAsync()));
    }

    [Fact]
    public async Task A_user_action_signed_for_one_body_is_refused_with_another()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var signedEmail = PortalFactory.NewEmail("signed");
        var swappedEmail = PortalFactory.NewEmail("swapped");
        var signedBody = JsonSerializer.Serialize(new { email = signedEmail, kind = "CustomerEmployee" });
        var userAction = await client.UserActionAsync(account, "POST", "/auth/users", signedBody);

        using var swapped = await client.SendAsync(account, HttpMethod.Post, "/auth/users", JsonSerializer.Serialize(new { email = swappedEmail, kind = "CustomerEmployee" }), userAction);
        await DfnsApi.AssertErrorAsync(swapped, HttpStatusCode.Forbidden, OtherRequest);

        // One space more is another body too: the action is bound to the exact bytes.
        using var respaced = await client.SendAsync(account, HttpMethod.Post, "/auth/users", signedBody + " ", userAction);
        await DfnsApi.AssertErrorAsync(respaced, HttpStatusCode.Forbidden, OtherRequest);
        Assert.False(await Host.WithDbAsync(db => db.OrgUsers.AnyAsync(u => u.OrgId == orgId)));

        var created = await JsonAsync(await client.SendAsync(account, HttpMethod.Post, "/auth/users", signedBody, userAction));
        Assert.Equal(signedEmail, created.GetProperty("username").GetString());
    }

    [Fact]
    public async Task A_challenge_signed_by_another_key_or_for_another_credential_gets_no_user_action()
    {
        var (orgId, _, _) = await Host.CreatePendingUserAsync("forged");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var challenge = await client.InitAsync(account, "POST", "/auth/users", "{}");
        Assert.Equal(account.CredId, challenge.GetProperty("allowCredentials").GetProperty("key")[0].GetProperty("id").GetString());
        Assert.Empty(challenge.GetProperty("allowCredentials").GetProperty("webauthn").EnumerateArray());

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var forged = await client.SendAsync(account, HttpMethod.Post, "/auth/action", SignBody(challenge, otherKey, account.CredId));
        await DfnsApi.AssertErrorAsync(forged, HttpStatusCode.Unauthorized, "Not Authorized.");
        using var otherCredential = await client.SendAsync(account, HttpMethod.Post, "/auth/action", SignBody(challenge, account.Key, "c29tZSBvdGhlciBjcmVk"));
        await DfnsApi.AssertErrorAsync(otherCredential, HttpStatusCode.Unauthorized, "Not Authorized.");
        Assert.Equal(2, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.SubjectId == account.Id && e.Details == "user action signature refused")));

        // The forgeries did not spend the challenge: its rightful signature still works, once.
        using var rightful = await client.SendAsync(account, HttpMethod.Post, "/auth/action", SignBody(challenge, account.Key, account.CredId));
        Assert.Equal(HttpStatusCode.OK, rightful.StatusCode);
        using var again = await client.SendAsync(account, HttpMethod.Post, "/auth/action", SignBody(challenge, account.Key, account.CredId));
        await DfnsApi.AssertErrorAsync(again, HttpStatusCode.Unauthorized, "Not Authorized.");
    }

    [Fact]
    public async Task A_changing_call_without_a_user_action_is_refused()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("unsigned");
        var account = await Host.CreateServiceAccountAsync(orgId);
        using var response = await Host.CreateClient().SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}");
        Assert.Contains("X-DFNS-USERACTION is required", await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized), StringComparison.Ordinal);
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));
    }

    [Fact]
    public async Task A_deactivated_service_account_is_refused_until_reactivated()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("revoked");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var userAction = await client.UserActionAsync(account, "PUT", DeactivatePath(userId), "{}");
        var accounts = Host.Services.GetRequiredService<ServiceAccountService>();

        Assert.Equal(ServiceAccountChangeStatus.Changed, await accounts.SetActiveAsync(orgId, account.Id, active: false, Actor.Operator("test")));
        using var read = await client.SendAsync(account, HttpMethod.Get, "/auth/users");
        await DfnsApi.AssertErrorAsync(read, HttpStatusCode.Unauthorized, "Not Authorized.");
        using var change = await client.SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}", userAction);
        await DfnsApi.AssertErrorAsync(change, HttpStatusCode.Unauthorized, "Not Authorized.");
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));

        Assert.Equal(ServiceAccountChangeStatus.Changed, await accounts.SetActiveAsync(orgId, account.Id, active: true, Actor.Operator("test")));
        await JsonAsync(await client.SendAsync(account, HttpMethod.Get, "/auth/users"));
    }

    [Fact]
    public async Task A_read_only_service_account_reads_and_every_change_is_forbidden()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("read-only");
        var account = await Host.CreateServiceAccountAsync(orgId, canWrite: false);
        var client = Host.CreateClient();

        var user = await JsonAsync(await client.SendAsync(account, HttpMethod.Get, $"/auth/users/{userId}"));
        Assert.Equal(email, user.GetProperty("username").GetString());

        using var init = await client.SendAsync(account, HttpMethod.Post, "/auth/action/init",
            JsonSerializer.Serialize(new { userActionPayload = "{}", userActionHttpMethod = "PUT", userActionHttpPath = DeactivatePath(userId) }));
        await DfnsApi.AssertErrorAsync(init, HttpStatusCode.Forbidden, UsersApi.ReadOnlyMessage);
        using var change = await client.SendAsync(account, HttpMethod.Put, DeactivatePath(userId), "{}");
        await DfnsApi.AssertErrorAsync(change, HttpStatusCode.Forbidden, UsersApi.ReadOnlyMessage);
        Assert.True(await Host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));
    }

    [Fact]
    public async Task The_audit_page_names_the_service_account_as_the_actor_of_its_changes()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var account = await Host.CreateServiceAccountAsync(orgId);
        var name = await Host.WithDbAsync(db => db.Set<ServiceAccount>().Where(a => a.Id == account.Id).Select(a => a.Name).SingleAsync());
        await JsonAsync(await Host.CreateClient().SignedAsync(account, HttpMethod.Post, "/auth/users", JsonSerializer.Serialize(new { email = PortalFactory.NewEmail("audited"), kind = "EndUser" })));
        var scope = AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
            "test")))!;

        var page = await Host.Services.GetRequiredService<AuditLogService>().SearchAsync(scope, new AuditSearch(Action: AuditActions.UserInvited));
        Assert.Equal($"Service account: {name}", Assert.Single(page.Items).ActorText);
        var created = await Host.Services.GetRequiredService<AuditLogService>().SearchAsync(scope, new AuditSearch(Action: AuditActions.ServiceAccountCreated));
        Assert.Equal($"Service account {name}", Assert.Single(created.Items).SubjectText);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_users_api()
    {
        using var response = await Host.CreateClient().GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var paths = (await JsonAsync(response)).GetProperty("paths");
        foreach (var (path, method) in new[] { ("/auth/users", "post"), ("/auth/users", "get"), ("/auth/users/{userId}", "get"), ("/auth/users/{userId}/activate", "put"), ("/auth/users/{userId}/deactivate", "put"), ("/auth/action/init", "post"), ("/auth/action", "post") })
        {
            Assert.True(paths.GetProperty(path).TryGetProperty(method, out _), $"{method} {path} is not in the OpenAPI document");
        }
    }

    /// <summary>A signing sent again (a replay) is refused and, like every refused signature, leaves a trace.</summary>
    [Fact]
    public async Task A_replayed_signing_is_refused_and_audited()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("sign-replay");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();
        var challenge = await client.InitAsync(account, "PUT", DeactivatePath(userId), "{}");
        var signing = SignBody(challenge, account.Key, account.CredId);
        await JsonAsync(await client.SendAsync(account, HttpMethod.Post, "/auth/action", signing));

        using var replay = await client.SendAsync(account, HttpMethod.Post, "/auth/action", signing);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        var denied = Assert.Single(await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == orgId && e.Action == AuditActions.AccessDenied && e.SubjectId == account.Id).Select(e => e.Details).ToListAsync()));
        Assert.Equal("user action challenge already signed", denied);
    }

    /// <summary>
    /// Input no address or path holds, refused as bad input on both databases alike: a NUL (which PostgreSQL refuses in
    /// any text, so it failed the query there: a 500), a kind written loosely, an id whose audit record was cut inside a
    /// character (half a character is not text either).
    /// </summary>
    [Fact]
    public async Task Odd_input_is_answered_as_bad_input_never_as_a_server_error()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var account = await Host.CreateServiceAccountAsync(orgId);
        var client = Host.CreateClient();

        // A page token that decodes to a NUL.
        using (var token = await client.SendAsync(account, HttpMethod.Get, "/auth/users?paginationToken=AA"))
        {
            await DfnsApi.AssertErrorAsync(token, HttpStatusCode.BadRequest, "paginationToken is not a token this API gave");
        }

        // A NUL in any string of a body: the path to sign, and an address.
        using (var path = await client.SendAsync(account, HttpMethod.Post, "/auth/action/init", "{\"userActionPayload\":\"{}\",\"userActionHttpMethod\":\"PUT\",\"userActionHttpPath\":\"/auth/\\u0000\"}"))
        {
            await DfnsApi.AssertErrorAsync(path, HttpStatusCode.BadRequest, "userActionHttpPath must be valid Unicode text");
        }

        using (var spaced = await client.SendAsync(account, HttpMethod.Post, "/auth/action/init", JsonSerializer.Serialize(new { userActionPayload = "{}", userActionHttpMethod = "PUT", userActionHttpPath = "/auth/users/x y" })))
        {
            await DfnsApi.AssertErrorAsync(spaced, HttpStatusCode.BadRequest, "userActionHttpPath must be a path of this API (/auth/…)");
        }

        // The list's kind as strictly as the invitation's.
        foreach (var kind in new[] { "1", "%20EndUser", "CustomerEmployee,EndUser" })
        {
            using var loose = await client.SendAsync(account, HttpMethod.Get, $"/auth/users?kind={kind}");
            await DfnsApi.AssertErrorAsync(loose, HttpStatusCode.BadRequest, "kind must be CustomerEmployee or EndUser");
        }

        // An id whose 64th character is the first half of an emoji: an unknown user, its refusal audited.
        var id = new string('a', 63) + "\U0001F600";
        using (var read = await client.SendAsync(account, HttpMethod.Get, "/auth/users/" + Uri.EscapeDataString(id)))
        {
            Assert.Equal("User not found.", await DfnsApi.AssertErrorAsync(read, HttpStatusCode.NotFound));
        }

        Assert.Equal(new string('a', 63), Assert.Single(await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == orgId && e.Action == AuditActions.AccessDenied).Select(e => e.SubjectId).ToListAsync())));
    }

    [Fact]
    public async Task A_made_up_or_missing_token_is_refused()
    {
        var account = await Host.CreateServiceAccountAsync(await Host.CreateOrganizationAsync());
        var client = Host.CreateClient();
        using var forged = await client.SendAsync(account with { Token = account.Token[..^4] + "AAAA" }, HttpMethod.Get, "/auth/users");
        await DfnsApi.AssertErrorAsync(forged, HttpStatusCode.Unauthorized, "Not Authorized.");
        using var none = await client.GetAsync("/auth/users");
        await DfnsApi.AssertErrorAsync(none, HttpStatusCode.Unauthorized, "Not Authorized.");
    }
}

public sealed class UsersApiSecurityTestsOnPostgres(PostgresQueuedMailPortalFixture fixture) : UsersApiSecurityTests(fixture), IClassFixture<PostgresQueuedMailPortalFixture>;
