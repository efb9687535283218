using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>A platform admin who has not picked an organization yet, on the demo host.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PlatformAdminTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    private const string PlatformAdminEmail = "platform@registration-portal.example";
    private const string PlatformAdminPassword = "demo-platform-password";

    private const string Notice = "Choose an organization to work in first: open Organizations and pick Switch to on its row.";

    [Fact]
    public async Task Every_page_that_needs_an_organization_says_so_in_the_same_words_with_the_way_to_pick_one()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", PlatformAdminEmail, PlatformAdminPassword);
        foreach (var (path, heading) in new[] { ("users", "Users"), ("applications", "Applications"), ("audit", "Audit") })
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true, Level = 1 })).ToBeVisibleAsync();
            var notice = page.Locator(".mud-alert").Filter(new() { HasText = "organization" });
            await Expect(notice).ToHaveTextAsync(Notice);
            await Expect(notice.GetByRole(AriaRole.Link, new() { Name = "Organizations", Exact = true })).ToBeVisibleAsync();
        }

        session.AssertNoConsoleErrors();
    }
}
