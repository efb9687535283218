using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>One browser origin allowed to call <c>/auth</c> cross-origin; mail stays queued.</summary>
public sealed class CorsPortalFixture : PortalFixture
{
    public const string Origin = "https://app.example.com";

    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Api:AllowedOrigins:0"] = Origin,
        ["Email:DispatcherEnabled"] = "false",
    };
}

/// <summary>
/// What a browser running the Dfns SDK on an allowed origin needs: a preflight that allows the call's method and every
/// header the SDK sends, and an answer whose <c>Retry-After</c> the page may read.
/// </summary>
public sealed class CorsTests(CorsPortalFixture fixture) : IClassFixture<CorsPortalFixture>
{
    private const string SdkHeaders = "content-type,authorization,x-dfns-appid,x-dfns-nonce,x-dfns-sdk-version";

    [Theory]
    [InlineData("PUT", DfnsApi.ResendPath)]
    [InlineData("POST", "/auth/registration/init")]
    [InlineData("POST", "/auth/registration")]
    public async Task A_preflight_from_an_allowed_origin_allows_the_call_s_method_and_the_sdk_s_headers_with_an_empty_answer(string method, string path)
    {
        using var client = fixture.Factory.CreateClient();
        using var response = await client.SendAsync(Preflight(path, CorsPortalFixture.Origin, method));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CorsPortalFixture.Origin, Single(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Single(response, "Access-Control-Allow-Methods").Split(',', StringSplitOptions.TrimEntries));
        var allowedHeaders = Single(response, "Access-Control-Allow-Headers").Split(',', StringSplitOptions.TrimEntries);
        foreach (var header in SdkHeaders.Split(','))
        {
            Assert.Contains(header, allowedHeaders, StringComparer.OrdinalIgnoreCase);
        }

        // Nothing for the SDK to parse: no error body is added to a successful preflight.
        Assert.Null(response.Content.Headers.ContentType);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_preflight_from_another_origin_is_not_allowed()
    {
        using var client = fixture.Factory.CreateClient();
        using var response = await client.SendAsync(Preflight(DfnsApi.ResendPath, "https://evil.example.com", "PUT"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_call_from_an_allowed_origin_may_read_retry_after()
    {
        var orgId = await fixture.Factory.CreateOrganizationAsync();
        using var client = fixture.Factory.CreateClient();
        using var request = DfnsApi.ResendRequest(orgId, PortalFactory.NewEmail("cors"), ("Origin", CorsPortalFixture.Origin));
        using var response = await client.SendAsync(request);

        await DfnsApi.AssertSuccessAsync(response);
        Assert.Equal(CorsPortalFixture.Origin, Single(response, "Access-Control-Allow-Origin"));
        Assert.Contains("Retry-After", Single(response, "Access-Control-Expose-Headers").Split(',', StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
    }

    private static HttpRequestMessage Preflight(string path, string origin, string method)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", SdkHeaders);
        return request;
    }

    private static string Single(HttpResponseMessage response, string header)
    {
        Assert.True(response.Headers.TryGetValues(header, out var values), $"{header} is missing");
        return string.Join(",", values);
    }
}
