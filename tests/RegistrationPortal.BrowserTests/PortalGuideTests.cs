using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The demo organization's main pages as the portal guide shows them, on a laptop (1366×850) and a phone (390×844), in
/// the light and the dark theme: on every one Sign out is on the screen and nothing makes the page scroll sideways; on
/// the user's page the first Resend is on the first screen. The pictures are the guide's (docs/screenshots).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalGuideTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    private static readonly (string Path, string Name, string Heading)[] Pages =
    [
        ("", "dashboard", "Dashboard"),
        ("users", "users", "Users"),
        ("user", "user-detail", "alice@example.com"),
        ("applications", "applications", "Applications"),
        ("audit", "audit", "Audit"),
    ];

    [Theory]
    [InlineData(1366, 850, false)]
    [InlineData(1366, 850, true)]
    [InlineData(390, 844, false)]
    [InlineData(390, 844, true)]
    public async Task Every_main_page_fits_the_screen_with_sign_out_in_reach(int width, int height, bool dark)
    {
        var phone = width < 600;
        await using var session = await browser.OpenAsync(host.BaseAddress, width, height, phone, dark);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, DemoBrowserHost.AdminEmail, DemoBrowserHost.AdminPassword);
        var suffix = $"{(phone ? "phone" : "laptop")}{(dark ? "-dark" : "")}";
        foreach (var (path, name, heading) in Pages)
        {
            if (path == "user")
            {
                await page.GotoAsync("users");
                await Portal.WaitUntilInteractiveAsync(page);
                await page.GetByRole(AriaRole.Link, new() { Name = heading, Exact = true }).ClickAsync();
            }
            else
            {
                await page.GotoAsync(path);
            }

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true, Level = 1 })).ToBeVisibleAsync();
            await Portal.WaitForCircuitAsync(page);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"the {name} page scrolls sideways at {width} px");
            await Expect(page.GetByRole(AriaRole.Banner).GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true })).ToBeInViewportAsync();
            if (path == "user")
            {
                var resend = page.GetByRole(AriaRole.Button, new() { Name = "Resend code", Exact = true });
                await Expect(resend).ToBeInViewportAsync();

                // Every column of the code history and of the deliveries is within the screen's width (as a card on a phone).
                foreach (var table in new[] { "Registration codes", "Email delivery" })
                {
                    foreach (var cell in await page.GetByRole(AriaRole.Table, new() { Name = table }).Locator("tbody td").AllAsync())
                    {
                        var box = await cell.BoundingBoxAsync();
                        Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= width + 1, $"a cell of {table} is off the screen at {width} px: x {box?.X}, width {box?.Width}");
                        Assert.True(box!.Height <= 80, $"a cell of {table} is squeezed into a column {box.Width} px wide at {width} px");
                    }
                }
            }

            await page.ScreenshotAsync(new() { Path = Screenshots.PathFor($"guide-{name}-{suffix}.png"), FullPage = path == "user" && phone });
        }

        session.AssertNoConsoleErrors();
    }
}
