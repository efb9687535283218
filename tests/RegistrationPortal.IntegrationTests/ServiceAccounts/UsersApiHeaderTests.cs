using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Api;
using static RegistrationPortal.IntegrationTests.ServiceAccounts.UsersApiClient;

namespace RegistrationPortal.IntegrationTests.ServiceAccounts;

/// <summary>
/// The Dfns headers on the users API, as on the registration API (older SDKs send <c>X-DFNS-APPID</c> and
/// <c>X-DFNS-NONCE</c> on every call; today's send neither): a header that is present is checked against the service
/// account's organization, on every endpoint, before the user action is spent.
/// </summary>
public abstract class UsersApiHeaderTests(QueuedMailPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private static IEnumerable<(HttpMethod Method, string Path, string? Body)> Calls(string userId) =>
    [
        (HttpMethod.Post, "/auth/action/init", """{"userActionPayload":"","userActionHttpMethod":"PUT","userActionHttpPath":"/auth/users/x/deactivate"}"""),
        (HttpMethod.Post, "/auth/action", """{"challengeIdentifier":"x","firstFactor":{"kind":"Key","credentialAssertion":{"credId":"a","clientData":"b","signature":"c"}}}"""),
        (HttpMethod.Post, "/auth/users", """{"email":"header.check@example.com","kind":"EndUser"}"""),
        (HttpMethod.Get, "/auth/users", null),
        (HttpMethod.Get, $"/auth/users/{userId}", null),
        (HttpMethod.Put, ActivatePath(userId), null),
        (HttpMethod.Put, DeactivatePath(userId), null),
    ];

    [Fact]
    public async Task Every_users_api_call_refuses_an_application_of_another_organization_an_unknown_one_and_a_bad_nonce()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("headers");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var otherApp = await Host.CreateApplicationAsync(await Host.CreateOrganizationAsync());
        using var client = Host.CreateClient();

        foreach (var (method, path, body) in Calls(userId))
        {
            foreach (var (header, value, status, message) in new (string, string, HttpStatusCode, string)[]
            {
                (AuthHeaders.AppId, otherApp, HttpStatusCode.Forbidden, DfnsErrors.NotAuthorized),
                (AuthHeaders.AppId, "ap-aaaaa-bbbbb-cccccccccccccccc", HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized),
                (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow.AddHours(-1)), HttpStatusCode.BadRequest, DfnsErrors.NonceInvalid),
            })
            {
                using var request = Request(account, method, path, body);
                request.Headers.Add(header, value);
                using var response = await client.SendAsync(request);
                Assert.True(status == response.StatusCode, $"{method} {path} with {header} {value}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                await DfnsApi.AssertErrorAsync(response, status, message);
            }
        }

        Assert.Equal("pending", await StateAsync(client, account, userId));
    }

    [Fact]
    public async Task The_organizations_own_application_and_a_fresh_nonce_pass_and_the_nonce_works_once()
    {
        var (orgId, _, userId) = await Host.CreatePendingUserAsync("headers-ok");
        var account = await Host.CreateServiceAccountAsync(orgId);
        var app = await Host.CreateApplicationAsync(orgId);
        using var client = Host.CreateClient();
        var nonce = Nonces.Create(DateTimeOffset.UtcNow);

        HttpRequestMessage Read()
        {
            var request = Request(account, HttpMethod.Get, $"/auth/users/{userId}");
            request.Headers.Add(AuthHeaders.AppId, app);
            request.Headers.Add(AuthHeaders.Nonce, nonce);
            return request;
        }

        using (var request = Read())
        using (var first = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var again = Read();
        await DfnsApi.AssertErrorAsync(await client.SendAsync(again), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        // A signed change with both headers goes through.
        var userAction = await client.UserActionAsync(account, "PUT", DeactivatePath(userId), "");
        using var change = Request(account, HttpMethod.Put, DeactivatePath(userId), userAction: userAction);
        change.Headers.Add(AuthHeaders.AppId, app);
        change.Headers.Add(AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
        using var changed = await client.SendAsync(change);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    private static async Task<string> StateAsync(HttpClient client, TestServiceAccount account, string userId)
    {
        var user = await JsonAsync(await client.SendAsync(account, HttpMethod.Get, $"/auth/users/{userId}"));
        return user.GetProperty("isActive").GetBoolean() ? "pending" : "inactive";
    }
}

public sealed class UsersApiHeaderTestsOnSqlite(QueuedMailPortalFixture fixture) : UsersApiHeaderTests(fixture), IClassFixture<QueuedMailPortalFixture>;

public sealed class UsersApiHeaderTestsOnPostgres(PostgresQueuedMailPortalFixture fixture) : UsersApiHeaderTests(fixture), IClassFixture<PostgresQueuedMailPortalFixture>;
