using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>The public pages in the person's language: the browser's, or the one they switch to, or their email's.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PublicPagesLanguageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    public static TheoryData<string, string, string, string, string> Languages => new()
    {
        // browser locale, language, self-service heading, its button, "enter your email" message
        { "en-GB", "en", "Get a new registration code", "Send me a new code", "Enter your email address." },
        { "fr-FR", "fr", "Obtenir un nouveau code d'inscription", "M'envoyer un nouveau code", "Saisissez votre adresse e-mail." },
        { "de-DE", "de", "Neuen Registrierungscode anfordern", "Neuen Code senden", "Geben Sie Ihre E-Mail-Adresse ein." },
        { "es-ES", "es", "Obtener un código de registro nuevo", "Enviarme un código nuevo", "Introduzca su correo electrónico." },
    };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_self_service_page_speaks_the_browsers_language_fits_a_phone_and_passes_axe(string locale, string language, string heading, string button, string emailRequired)
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true, locale: locale);
        var page = session.Page;

        await page.GotoAsync("register/resend");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await Expect(page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = NativeName(language) })).ToHaveAttributeAsync("aria-current", "true");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        await Accessibility.AssertNoSeriousViolationsAsync(page, $"the self-service page in {language}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor($"self-service-{language}-phone.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        await Expect(page.GetByText(emailRequired, new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", language);
        await Accessibility.AssertNoSeriousViolationsAsync(page, $"the self-service page with errors in {language}");
        session.AssertNoConsoleErrors();
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_register_page_and_its_script_speak_the_browsers_language_and_pass_axe(string locale, string language, string heading, string button, string emailRequired)
    {
        _ = (heading, button);
        var registerHeading = new Dictionary<string, string>
        {
            ["en"] = "Register with a passkey",
            ["fr"] = "S'inscrire avec une clé d'accès",
            ["de"] = "Mit einem Passkey registrieren",
            ["es"] = "Registrarse con una llave de acceso",
        }[language];
        var createButton = new Dictionary<string, string>
        {
            ["en"] = "Create passkey",
            ["fr"] = "Créer la clé d'accès",
            ["de"] = "Passkey erstellen",
            ["es"] = "Crear llave de acceso",
        }[language];
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true, locale: locale);
        var page = session.Page;

        await page.GotoAsync("register");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = registerHeading, Level = 1 })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, $"the register page in {language}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor($"register-{language}-phone.png"), FullPage = true });

        // The script's own words come in the page's language too.
        await page.GetByRole(AriaRole.Button, new() { Name = createButton }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(emailRequired);
        session.AssertNoConsoleErrors();
    }

    /// <summary>The language links swap the page in place (no new load), and the script's words follow them.</summary>
    [Fact]
    public async Task After_the_language_switch_the_register_pages_script_speaks_the_chosen_language()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, locale: "en-US");
        var page = session.Page;
        await page.GotoAsync("register");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Language" }).GetByRole(AriaRole.Link, new() { Name = "Deutsch" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Mit einem Passkey registrieren", Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Passkey erstellen" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Geben Sie Ihre E-Mail-Adresse ein.");
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_language_switch_keeps_the_form_filled_in_and_the_answer_comes_in_the_chosen_language()
    {
        var (orgId, email, _) = await host.Factory.CreatePendingUserAsync("browser-switch");
        var link = Mail.SelfServiceLink((await host.Smtp.WaitForMessagesAsync(email))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await page.GotoAsync(link.ToString());
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Language" }).GetByRole(AriaRole.Link, new() { Name = "Deutsch" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Neuen Registrierungscode anfordern" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("E-Mail-Adresse", new() { Exact = true })).ToHaveValueAsync(email);
        await Expect(page.GetByLabel("Organisations-ID", new() { Exact = true })).ToHaveValueAsync(orgId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Neuen Code senden" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(
            "Wenn ein Konto auf die Registrierung wartet, ist ein neuer Code unterwegs. Sehen Sie in Ihrem Posteingang und im Spam-Ordner nach.");
        await host.Smtp.WaitForMessagesAsync(email, 2);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_person_invited_in_french_registers_in_french_from_the_emails_link_whatever_the_browsers_language()
    {
        var orgId = await host.Factory.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("browser-fr");
        await host.Factory.Services.GetRequiredService<RegistrationService>().InviteAsync(orgId, email, UserKind.EndUser, Actor.Operator("test"), "fr");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);

        await page.GotoAsync(Mail.RegisterLink(invitation).ToString());

        await Expect(page).ToHaveTitleAsync("S'inscrire avec une clé d'accès · RegistrationPortal");
        await page.GetByLabel("Code d'inscription", new() { Exact = true }).FillAsync(Mail.Code(invitation));
        await page.GetByRole(AriaRole.Button, new() { Name = "Créer la clé d'accès" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Vous êtes inscrit" })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the registered page in French");
        session.AssertNoConsoleErrors();
    }

    private static string NativeName(string language) => RegistrationPortal.Web.Shared.PortalLanguages.NativeName(language);
}
