using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// A person's browser without JavaScript: one cookie jar, forms posted with the hidden fields the server put in
/// them (antiforgery token included), redirects followed one hop at a time so tests can see where they lead.
/// Interactive pages are prerendered, so a GET shows what the page renders for the signed-in admin.
/// </summary>
public sealed partial class PortalBrowser : IDisposable
{
    public const string LoginPath = "/Account/Login";

    private readonly HttpClient _client;

    /// <param name="clientAddress">The network the browser is on, sent as <c>X-Forwarded-For</c> (a host that trusts its
    /// proxy reads it; others ignore it); a new address of the documentation range 198.18.0.0/15 when null, so that
    /// every browser is its own client, as people are.</param>
    public PortalBrowser(PortalFactory factory, string? clientAddress = null)
    {
        _client = factory.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(Cookies));
        ClientAddress = clientAddress ?? NewClientAddress();
        _client.DefaultRequestHeaders.Add("X-Forwarded-For", ClientAddress);
    }

    public HttpClient Client => _client;

    /// <summary>The address the browser's requests come from, as the host's trusted proxy reports it.</summary>
    public string ClientAddress { get; }

    public static string NewClientAddress()
    {
        var n = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1 << 17);
        return $"198.{18 + (n >> 16)}.{(n >> 8) & 0xFF}.{n & 0xFF}";
    }

    /// <summary>The browser's cookies, which a test may read or tamper with.</summary>
    public CookieContainer Cookies { get; } = new();

    public string? Cookie(string name) => Cookies.GetCookies(_client.BaseAddress!)[name]?.Value;

    public void Dispose() => _client.Dispose();

    /// <summary>Types the email and password into the sign-in form and presses Sign in; returns the server's answer to the post.</summary>
    public Task<HttpResponseMessage> SubmitSignInAsync(string email, string password) =>
        SubmitPageAsync(LoginPath, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    /// <summary>Signs in and asserts it worked (the form redirects away from the sign-in page).</summary>
    public async Task SignInAsync(string email, string password)
    {
        using var response = await SubmitSignInAsync(email, password);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in of {email} answered {(int)response.StatusCode}: {InvalidAttempt().Match(body).Value}");
        Assert.DoesNotContain("Lockout", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    /// <summary>Opens <paramref name="path"/> and follows redirects like a browser; returns the last page and every address visited.</summary>
    public async Task<PageVisit> OpenAsync(string path)
    {
        var visited = new List<string>();
        var current = new Uri(_client.BaseAddress!, path);
        for (var hop = 0; hop < 10; hop++)
        {
            visited.Add(current.PathAndQuery);
            using var response = await _client.GetAsync(current);
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.RedirectMethod or HttpStatusCode.TemporaryRedirect)
            {
                current = new Uri(current, response.Headers.Location!);
                continue;
            }

            return new PageVisit(visited, response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        throw new InvalidOperationException($"Too many redirects: {string.Join(" -> ", visited)}");
    }

    /// <summary>Posts a form the way a page's button would, with the antiforgery token the page at <paramref name="tokenFrom"/> carries.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IReadOnlyDictionary<string, string> fields, string tokenFrom = "/users")
    {
        var page = await OpenAsync(tokenFrom);
        var all = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = AntiforgeryToken(page.Body) };
        return await _client.PostAsync(path, new FormUrlEncodedContent(all));
    }

    /// <summary>
    /// Opens <paramref name="path"/>, types <paramref name="typed"/> into its form (beside the hidden fields the page put
    /// there) and submits it to the address the page ended on, URL-encoded as browsers do, or as multipart (which the
    /// form reader does not screen for NUL).
    /// </summary>
    public async Task<HttpResponseMessage> SubmitPageAsync(string path, IReadOnlyDictionary<string, string> typed, bool multipart = false)
    {
        var page = await OpenAsync(path);
        var fields = HiddenFields(page.Body);
        foreach (var (name, value) in typed)
        {
            fields[name] = value;
        }

        using HttpContent content = multipart ? Multipart(fields) : new FormUrlEncodedContent(fields);
        return await _client.PostAsync(page.Visited[^1], content);

        static MultipartFormDataContent Multipart(Dictionary<string, string> fields)
        {
            var content = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
            {
                content.Add(new StringContent(value), name);
            }

            return content;
        }
    }

    /// <summary>The path a redirect leads to (the host answers with absolute or relative addresses), or null when it is no redirect.</summary>
    public static string? RedirectPath(HttpResponseMessage response) =>
        response.Headers.Location is { } location ? new Uri(new Uri("http://localhost"), location).AbsolutePath : null;

    public static string AntiforgeryToken(string html) =>
        TokenField().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("The page has no antiforgery token.");

    /// <summary>The hidden inputs of the page's form: the antiforgery token and Blazor's form name.</summary>
    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in HiddenInput().Matches(html))
        {
            var name = NameAttribute().Match(input.Value);
            var value = ValueAttribute().Match(input.Value);
            if (name.Success)
            {
                fields[WebUtility.HtmlDecode(name.Groups[1].Value)] = value.Success ? WebUtility.HtmlDecode(value.Groups[1].Value) : "";
            }
        }

        return fields;
    }

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*>")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("name=\"([^\"]*)\"")]
    private static partial Regex NameAttribute();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("Error: [^<]*")]
    private static partial Regex InvalidAttempt();
}

/// <summary>Where a GET ended: every address on the way, and the last page.</summary>
public sealed partial record PageVisit(IReadOnlyList<string> Visited, HttpStatusCode Status, string Body)
{
    public string FinalPath => Visited[^1].Split('?')[0];

    public string? Title => TitleTag().Match(Body) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;

    [GeneratedRegex("<title>([^<]*)</title>")]
    private static partial Regex TitleTag();
}
