using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.ServiceAccounts;

/// <summary>A host whose service accounts may make three calls a minute each.</summary>
public sealed class TightTokenLimitPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:DispatcherEnabled"] = "false",
        ["ServiceAccounts:RateLimit:PermitLimit"] = "3",
        ["ServiceAccounts:RateLimit:Window"] = "00:01:00",
    };
}

public sealed class UsersApiRateLimitTests(TightTokenLimitPortalFixture fixture) : IClassFixture<TightTokenLimitPortalFixture>
{
    [Fact]
    public async Task A_token_past_its_limit_gets_429_with_Retry_After_while_another_token_goes_on()
    {
        var host = fixture.Factory;
        var orgId = await host.CreateOrganizationAsync();
        var busy = await host.CreateServiceAccountAsync(orgId);
        var other = await host.CreateServiceAccountAsync(orgId);
        var client = host.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var allowed = await client.SendAsync(busy, HttpMethod.Get, "/auth/users");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await client.SendAsync(busy, HttpMethod.Get, "/auth/users");
        Assert.StartsWith("Too many requests with this token.", await DfnsApi.AssertErrorAsync(refused, HttpStatusCode.TooManyRequests), StringComparison.Ordinal);
        Assert.InRange(DfnsApi.RetryAfterSeconds(refused), 1, 60);

        using var otherToken = await client.SendAsync(other, HttpMethod.Get, "/auth/users");
        Assert.Equal(HttpStatusCode.OK, otherToken.StatusCode);
    }
}
