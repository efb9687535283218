using System.Text;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>The Branding page as an org admin uses it, and the public page their people then see.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BrandingPageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private static readonly byte[] PngBytes = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    [Fact]
    public async Task An_admin_brands_the_organization_and_its_public_page_shows_it_on_a_phone()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Branding Org");
        await using (var session = await browser.OpenAsync(host.BaseAddress))
        {
            var page = session.Page;
            await Portal.SignInAtAsync(page, "branding", admin.Email, admin.Password);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Branding", Level = 1 })).ToBeVisibleAsync();
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the Branding page");

            await page.GetByRole(AriaRole.Textbox, new() { Name = "Display name", Exact = true }).FillAsync("Acme Onboarding");
            var color = page.GetByRole(AriaRole.Textbox, new() { Name = "Primary colour", Exact = true });
            await color.FillAsync("#cccccc");
            await Expect(page.GetByText("too light for white text", new() { Exact = false })).ToBeVisibleAsync();
            await color.FillAsync("#0b3d2e");
            await Expect(page.GetByText("White text on it: contrast", new() { Exact = false })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Textbox, new() { Name = "Support email or web address" }).FillAsync("help@acme.example");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save branding" }).ClickAsync();
            await Expect(page.GetByText("Branding saved.")).ToBeVisibleAsync();

            // A PNG named as an SVG is refused; a clean SVG is the logo.
            await page.GetByLabel("Upload a logo").SetInputFilesAsync(new FilePayload { Name = "logo.svg", MimeType = "image/svg+xml", Buffer = PngBytes });
            await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "it is a PNG image" })).ToBeVisibleAsync();
            var svg = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 10\"><rect width=\"40\" height=\"10\" fill=\"#0b3d2e\"/></svg>");
            await page.GetByLabel("Upload a logo").SetInputFilesAsync(new FilePayload { Name = "logo.svg", MimeType = "image/svg+xml", Buffer = svg });
            await Expect(page.GetByRole(AriaRole.Img, new() { Name = "Current logo" })).ToBeVisibleAsync();

            // The template editor says at once what is missing, and previews what will be sent.
            var body = page.GetByRole(AriaRole.Textbox, new() { Name = "Body", Exact = true });
            await body.FillAsync("Hello from {{ organization_name }}");
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "must show the code" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save template" })).ToBeDisabledAsync();
            await body.FillAsync("Hello from {{ organization_name }}: {{ code }}\n\nStart: {{ register_link }}");
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Preview" })).ToContainTextAsync("Hello from Acme Onboarding: TEST-TEST-TEST-TEST");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save template" }).ClickAsync();
            await Expect(page.GetByText("Template saved.")).ToBeVisibleAsync();
            await Accessibility.AssertNoSeriousViolationsAsync(page.Locator(".mud-main-content"), "the Branding page with a logo, errors and a preview");
            session.AssertNoConsoleErrors();
        }

        await using (var phone = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true, locale: "fr-FR"))
        {
            var page = phone.Page;
            await page.GotoAsync($"register/resend?orgId={admin.OrgId}");
            var header = page.Locator("header");
            await Expect(header.GetByText("Acme Onboarding")).ToBeVisibleAsync();
            await Expect(header.GetByRole(AriaRole.Img, new() { Name = "Acme Onboarding" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "help@acme.example" })).ToHaveAttributeAsync("href", "mailto:help@acme.example");
            Assert.Equal("rgb(11, 61, 46)", await header.EvaluateAsync<string>("h => getComputedStyle(h).backgroundColor"));
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the branded self-service page");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor("self-service-branded-phone.png"), FullPage = true });
            phone.AssertNoConsoleErrors();
        }
    }
}
