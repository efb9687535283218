using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>A real port with forwarded headers on: the test client plays the TLS-terminating proxy on loopback.</summary>
public sealed class ProxiedPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override bool OnRealPort => true;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ForwardedHeaders:Enabled"] = "true",
        ["Email:DispatcherEnabled"] = "false",
    };
}

public sealed class ReverseProxyTests(ProxiedPortalFixture fixture) : IClassFixture<ProxiedPortalFixture>, IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = fixture.RealPortAddress };

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Behind_a_trusted_proxy_the_audit_records_the_client_address_the_proxy_forwarded()
    {
        var (orgId, email, userId) = await fixture.Factory.CreatePendingUserAsync("proxied");

        await DfnsApi.AssertSuccessAsync(await _client.ResendAsync(orgId, email, ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https")));
        await fixture.Factory.PublicRequestsResolvedAsync();

        var address = await fixture.Factory.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(a => a.SubjectId == userId && a.Action == AuditActions.CodeSent && a.ActorKind == "ApiApplication")
            .Select(a => a.ClientAddress)
            .SingleAsync());
        Assert.Equal("203.0.113.7", address);
    }

    [Fact]
    public async Task A_page_the_proxy_served_over_https_sets_secure_cookies()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.8");
        using var response = await _client.SendAsync(request);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.Contains("secure", cookie.ToLowerInvariant().Split(';').Select(p => p.Trim()));
    }
}
