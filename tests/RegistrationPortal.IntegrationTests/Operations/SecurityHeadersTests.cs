using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// Every answer carries the security headers: the sign-in page, a portal page, the self-service page, the API and its
/// error answers. Requests go over HTTPS to a public host name, as behind a TLS-terminating proxy.
/// </summary>
public sealed partial class SecurityHeadersTests(QueuedMailPortalFixture fixture) : IClassFixture<QueuedMailPortalFixture>
{
    private const string Password = "a long enough passphrase";

    private readonly PortalFactory _host = fixture.Factory;

    [Fact]
    public async Task The_sign_in_page_has_the_page_policy_with_the_nonce_of_its_import_map_and_secure_cookies()
    {
        using var client = HttpsClient();
        using var response = await client.GetAsync(new Uri("/Account/Login", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertPageHeaders(response, html);
        var antiforgery = Assert.Single(Cookies(response), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        AssertSecureCookie(antiforgery, "strict");
    }

    [Fact]
    public async Task A_portal_page_after_sign_in_has_the_page_policy_and_the_auth_cookie_is_secure_and_http_only()
    {
        var orgId = await _host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("admin");
        var admin = await _host.Services.GetRequiredService<AdminAccountService>().CreateAsync(orgId, email, Password, platformAdmin: false, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, admin.Status);
        using var client = HttpsClient();

        using var signIn = await SignInAsync(client, email);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        AssertCommonHeaders(signIn);
        AssertSecureCookie(Assert.Single(Cookies(signIn), c => c.StartsWith("portal.auth=", StringComparison.Ordinal)), "lax");

        using var users = await client.GetAsync(new Uri("/users", UriKind.Relative));
        var html = await users.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Contains("Users", html, StringComparison.Ordinal);
        AssertPageHeaders(users, html);
    }

    [Fact]
    public async Task The_self_service_page_has_the_page_policy()
    {
        using var client = HttpsClient();
        using var response = await client.GetAsync(new Uri("/register/resend?email=someone%40example.com&orgId=or-aaaaa-bbbbb-cccccccccccccccc", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertPageHeaders(response, html);
    }

    [Fact]
    public async Task Each_nonce_is_new()
    {
        using var client = HttpsClient();
        using var first = await client.GetAsync(new Uri("/Account/Login", UriKind.Relative));
        using var second = await client.GetAsync(new Uri("/Account/Login", UriKind.Relative));

        Assert.NotEqual(Nonce(first), Nonce(second));
    }

    [Fact]
    public async Task The_api_answer_and_its_error_answers_forbid_everything_a_page_may_do()
    {
        var (orgId, email, _) = await _host.CreatePendingUserAsync("headers");
        using var client = HttpsClient();

        using var success = await client.ResendAsync(orgId, email);
        await DfnsApi.AssertSuccessAsync(success);
        AssertResourceHeaders(success);

        using var notFound = await client.GetAsync(new Uri("/auth/no-such-call", UriKind.Relative));
        await DfnsApi.AssertErrorAsync(notFound, HttpStatusCode.NotFound);
        AssertResourceHeaders(notFound);

        using var wrongMethod = await client.GetAsync(new Uri(DfnsApi.ResendPath, UriKind.Relative));
        await DfnsApi.AssertErrorAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        AssertResourceHeaders(wrongMethod);

        using var badBody = new HttpRequestMessage(HttpMethod.Put, DfnsApi.ResendPath) { Content = new StringContent("{", System.Text.Encoding.UTF8, "application/json") };
        using var badRequest = await client.SendAsync(badBody);
        await DfnsApi.AssertErrorAsync(badRequest, HttpStatusCode.BadRequest);
        AssertResourceHeaders(badRequest);

        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        AssertResourceHeaders(health);
    }

    [Fact]
    public async Task Plain_http_gets_no_strict_transport_security_and_no_secure_cookie()
    {
        using var client = _host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://portal.example"), AllowAutoRedirect = false });
        using var response = await client.GetAsync(new Uri("/Account/Login", UriKind.Relative));

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.Contains("frame-ancestors 'none'", Csp(response), StringComparison.Ordinal);
        var antiforgery = Assert.Single(Cookies(response), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", antiforgery.ToLowerInvariant().Split(';').Select(p => p.Trim()));
        Assert.Contains("httponly", antiforgery.ToLowerInvariant().Split(';').Select(p => p.Trim()));
    }

    private HttpClient HttpsClient() =>
        _host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://portal.example"), AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email)
    {
        using var page = await client.GetAsync(new Uri("/Account/Login", UriKind.Relative));
        var token = AntiforgeryToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        });
        return await client.PostAsync(new Uri("/Account/Login", UriKind.Relative), form);
    }

    private static void AssertCommonHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        Assert.Equal("max-age=31536000", Single(response, "Strict-Transport-Security"));
        Assert.Contains("frame-ancestors 'none'", Csp(response), StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", Csp(response), StringComparison.Ordinal);
    }

    private static void AssertPageHeaders(HttpResponseMessage response, string html)
    {
        AssertCommonHeaders(response);
        var csp = Csp(response);
        var scriptSrc = Directive(csp, "script-src");
        Assert.DoesNotContain("unsafe-inline", scriptSrc, StringComparison.Ordinal);
        Assert.Contains("'self'", scriptSrc, StringComparison.Ordinal);
        Assert.Equal("'none'", Directive(csp, "object-src"));
        Assert.Equal("'self'", Directive(csp, "base-uri"));

        // The only inline script, Blazor's import map, carries this answer's nonce; no other inline script exists.
        var nonce = Nonce(response);
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", html, StringComparison.Ordinal);
        foreach (Match script in ScriptTag().Matches(html))
        {
            var tag = script.Value;
            Assert.True(tag.Contains(" src=", StringComparison.Ordinal) || tag.Contains($"nonce=\"{nonce}\"", StringComparison.Ordinal), $"inline script without the nonce: {tag}");
        }
    }

    private static void AssertResourceHeaders(HttpResponseMessage response)
    {
        AssertCommonHeaders(response);
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Csp(response));
    }

    private static void AssertSecureCookie(string setCookie, string sameSite)
    {
        var parts = setCookie.ToLowerInvariant().Split(';').Select(p => p.Trim()).ToList();
        Assert.Contains("secure", parts);
        Assert.Contains("httponly", parts);
        Assert.Contains($"samesite={sameSite}", parts);
    }

    private static string Nonce(HttpResponseMessage response) =>
        NonceSource().Match(Csp(response)) is { Success: true } match ? match.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no nonce in {Csp(response)}");

    private static string Csp(HttpResponseMessage response) => Single(response, "Content-Security-Policy");

    private static string Directive(string csp, string name) =>
        csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..];

    private static string Single(HttpResponseMessage response, string header)
    {
        Assert.True(response.Headers.TryGetValues(header, out var values), $"{header} is missing on {(int)response.StatusCode} {response.RequestMessage?.RequestUri}");
        return Assert.Single(values);
    }

    private static IEnumerable<string> Cookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("'nonce-([^']+)'")]
    private static partial Regex NonceSource();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();
}
