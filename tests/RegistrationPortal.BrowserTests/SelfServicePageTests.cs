using System.Net;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>The self-service page in a real browser, reached the way a user reaches it: from the link in their email.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SelfServicePageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private const string Confirmation = "If an account is waiting for registration, a new code is on its way. Check your inbox and spam folder.";

    [Fact]
    public async Task The_link_in_the_invitation_opens_the_form_filled_in_and_asking_replaces_the_code()
    {
        var (orgId, email, _) = await host.Factory.CreatePendingUserAsync("browser-self-service");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        var oldCode = Mail.Code(invitation);
        var link = Mail.SelfServiceLink(invitation);
        Assert.Equal(host.BaseAddress.Authority, link.Authority);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;

        await page.GotoAsync(link.ToString());

        await Expect(page).ToHaveTitleAsync("Get a new registration code · RegistrationPortal");
        await Expect(EmailField(page)).ToHaveValueAsync(email);
        await Expect(OrgIdField(page)).ToHaveValueAsync(orgId);
        await SendButton(page).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(Confirmation);

        var mails = await host.Smtp.WaitForMessagesAsync(email, 2);
        var newCode = Mail.Code(mails[^1]);
        Assert.NotEqual(oldCode, newCode);
        using (var old = await host.Http.InitAsync(orgId, email, oldCode))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var current = await host.Http.InitAsync(orgId, email, newCode))
        {
            Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        }

        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_page_has_no_serious_accessibility_violation_empty_with_errors_or_confirmed()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;

        await page.GotoAsync("register/resend");
        await Expect(EmailField(page)).ToBeEmptyAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the empty self-service page");

        await SendButton(page).ClickAsync();
        await Expect(page.GetByText("Enter your email address.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Enter your organization id.")).ToBeVisibleAsync();
        await Expect(EmailField(page)).ToBeFocusedAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the self-service page with validation errors");

        await EmailField(page).FillAsync(PortalFactory.NewEmail("browser-unknown"));
        await OrgIdField(page).FillAsync("or-zzzzz-zzzzz-zzzzzzzzzzzzzzzz");
        await SendButton(page).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(Confirmation);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the self-service page with its confirmation");

        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task At_phone_width_the_form_fits_the_screen_and_works()
    {
        var (orgId, email, _) = await host.Factory.CreatePendingUserAsync("browser-phone");
        var link = Mail.SelfServiceLink((await host.Smtp.WaitForMessagesAsync(email))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;

        await page.GotoAsync(link.ToString());

        await Expect(OrgIdField(page)).ToHaveValueAsync(orgId);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        foreach (var control in new[] { EmailField(page), OrgIdField(page), SendButton(page) })
        {
            var box = await control.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"a control sticks out of the screen: x {box.X}, width {box.Width}");
            Assert.True(box.Height >= 24, $"a control is too small to tap: height {box.Height}");
        }

        await ScreenshotAsync(page, "self-service-phone.png");
        await SendButton(page).TapAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(Confirmation);
        await host.Smtp.WaitForMessagesAsync(email, 2);
        session.AssertNoConsoleErrors();
    }

    private static ILocator EmailField(IPage page) => page.GetByLabel("Email", new() { Exact = true });

    private static ILocator OrgIdField(IPage page) => page.GetByLabel("Organization id", new() { Exact = true });

    private static ILocator SendButton(IPage page) => page.GetByRole(AriaRole.Button, new() { Name = "Send me a new code" });

    private static async Task ScreenshotAsync(IPage page, string name) => await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor(name), FullPage = true });
}
