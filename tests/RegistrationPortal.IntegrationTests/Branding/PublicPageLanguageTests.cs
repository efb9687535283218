using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Branding;

/// <summary>
/// The language of the public pages (<c>/register…</c>): the <c>culture</c> parameter, else the browser's
/// <c>Accept-Language</c> (a regional variant speaks its language), else English; every other page stays English.
/// </summary>
public sealed class PublicPageLanguageTests(MailPortalFixture fixture) : IClassFixture<MailPortalFixture>
{
    private const string Page = "/register/resend";

    private PortalFactory Host => fixture.Factory;

    [Theory]
    [InlineData("?culture=de", null, "de", "Neuen Registrierungscode anfordern")]
    [InlineData("?culture=de", "fr", "de", "Neuen Registrierungscode anfordern")]
    [InlineData("", "fr-CA", "fr", "Obtenir un nouveau code d")]
    [InlineData("", "es-MX,en;q=0.5", "es", "Obtener un c")]
    [InlineData("?ui-culture=fr", null, "en", "Get a new registration code")]
    public async Task The_page_speaks_the_chosen_language_and_says_so(string query, string? acceptLanguage, string language, string title)
    {
        using var client = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Page + query);
        if (acceptLanguage is not null)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage));
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"<html lang=\"{language}\">", body, StringComparison.Ordinal);
        Assert.Contains(title, body, StringComparison.Ordinal);
        Assert.Equal([language], response.Content.Headers.ContentLanguage);
    }

    [Fact]
    public async Task The_admin_portal_stays_english_whatever_the_browser_asks()
    {
        using var client = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login?culture=de");
        Assert.True(request.Headers.TryAddWithoutValidation("Accept-Language", "de"));

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html lang=\"en\">", body, StringComparison.Ordinal);
        Assert.Empty(response.Content.Headers.ContentLanguage);
    }

    /// <summary>
    /// The not-found page is written in English: under <c>/register</c> it says so too, whatever language was asked for,
    /// so a screen reader does not read its English words in French or German.
    /// </summary>
    [Theory]
    [InlineData("/register/nope?culture=fr", null)]
    [InlineData("/register/nope", "de")]
    public async Task A_missing_public_page_is_answered_in_english_and_says_it_is(string path, string? acceptLanguage)
    {
        using var client = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptLanguage is not null)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage));
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<html lang=\"en\">", body, StringComparison.Ordinal);
        Assert.Empty(response.Content.Headers.ContentLanguage);
    }
}
