using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>A real port behind the trusted proxy (loopback) and a per-address limit of three requests in ten minutes.</summary>
public sealed class ProxiedAddressLimitedPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override bool OnRealPort => true;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ForwardedHeaders:Enabled"] = "true",
        ["Email:DispatcherEnabled"] = "false",
        ["Api:RateLimit:PermitLimit"] = "3",
        ["Api:RateLimit:Window"] = "00:10:00",
    };
}

/// <summary>
/// The per-client-address limits (the <c>/auth</c> API's and the self-service page's) are one limit per address: an
/// address that used its requests up is refused, and another address behind the same proxy is still served.
/// </summary>
public sealed class PerAddressLimitTests(ProxiedAddressLimitedPortalFixture fixture) : IClassFixture<ProxiedAddressLimitedPortalFixture>
{
    private const int Limit = 3;

    private PortalFactory Host => fixture.Factory;

    /// <summary>A client whose every request the proxy forwards for <paramref name="address"/>; it keeps its cookies.</summary>
    private HttpClient ClientFor(string address)
    {
        var client = new HttpClient { BaseAddress = fixture.RealPortAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return client;
    }

    [Fact]
    public async Task On_the_api_one_address_past_its_limit_gets_429_and_another_address_is_still_served()
    {
        var orgId = await Host.CreateOrganizationAsync();
        using var first = ClientFor("203.0.113.41");
        using var second = ClientFor("198.51.100.42");

        for (var i = 0; i < Limit; i++)
        {
            await DfnsApi.AssertSuccessAsync(await first.ResendAsync(orgId, PortalFactory.NewEmail("per-address-a")));
        }

        using (var limited = await first.ResendAsync(orgId, PortalFactory.NewEmail("per-address-a")))
        {
            // The window is ten minutes, all of it used just now: nothing frees before it has passed.
            Assert.Equal("Too many requests from this address. Retry after 600 seconds.", await DfnsApi.AssertErrorAsync(limited, HttpStatusCode.TooManyRequests));
            Assert.Equal(600, DfnsApi.RetryAfterSeconds(limited));
        }

        for (var i = 0; i < Limit; i++)
        {
            await DfnsApi.AssertSuccessAsync(await second.ResendAsync(orgId, PortalFactory.NewEmail("per-address-b")));
        }

        await DfnsApi.AssertErrorAsync(await second.ResendAsync(orgId, PortalFactory.NewEmail("per-address-b")), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task On_the_self_service_page_one_address_past_its_limit_is_asked_to_wait_and_another_address_is_still_served()
    {
        var (orgId, pending, userId) = await Host.CreatePendingUserAsync("ss-per-address");
        using var first = ClientFor("203.0.113.51");
        using var second = ClientFor("198.51.100.52");

        for (var i = 0; i < Limit; i++)
        {
            var (_, allowed) = await SelfServicePageTests.SubmitAsync(first, PortalFactory.NewEmail("ss-per-address-a"), orgId);
            Assert.Contains("a new code is on its way", allowed, StringComparison.Ordinal);
        }

        var (_, refused) = await SelfServicePageTests.SubmitAsync(first, PortalFactory.NewEmail("ss-per-address-a"), orgId);
        // As on the API: the window is ten minutes, all of it used just now.
        Assert.Contains("Too many requests from your network. Please try again in 10 minutes.", refused, StringComparison.Ordinal);

        // Another address asks for the pending user: served, and a new code is issued for them.
        var codesBefore = (await Host.AllCodesAsync(userId)).Count;
        var (status, served) = await SelfServicePageTests.SubmitAsync(second, pending, orgId);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("a new code is on its way", served, StringComparison.Ordinal);
        Assert.DoesNotContain("Too many requests", served, StringComparison.Ordinal);
        await Wait.WaitUntilAsync(async () => (await Host.AllCodesAsync(userId)).Count == codesBefore + 1, "the served request issues a new code");
    }
}
