using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>A bulk resend's summary names the users who got no code and why, each a link to their page, in both themes.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BulkResendSummaryTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_summary_lists_the_throttled_registered_and_deactivated_users_with_links_to_their_pages(bool dark)
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Bulk Summary");
        var emails = Enumerable.Range(0, 4).Select(i => PortalFactory.NewEmail($"summary-{i}")).ToList();
        var ids = await host.Factory.InviteAllAsync(admin.OrgId, emails);
        Assert.Equal(ResendStatus.Sent, (await host.Factory.Services.GetRequiredService<RegistrationService>().ResendAsync(admin.OrgId, emails[0], Actor.Operator("test"))).Status);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850, dark: dark);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        foreach (var email in emails)
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {email}", Exact = true }).CheckAsync();
        }

        // Meanwhile one registers and another is deactivated.
        await host.Factory.MarkRegisteredAsync(ids[1]);
        await host.Factory.DeactivateAsync(ids[2]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend to selected (4)", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend preview" }).GetByRole(AriaRole.Button, new() { Name = "Send 1 code", Exact = true }).ClickAsync();

        var summary = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend summary" });
        await Expect(summary).ToContainTextAsync("1 sent, 1 throttled, 1 already registered, 1 deactivated, 0 not found.");
        var list = summary.GetByRole(AriaRole.List, new() { Name = "No code went to these users:", Exact = true });
        var items = list.GetByRole(AriaRole.Listitem);
        await Expect(items).ToHaveCountAsync(3);
        await Expect(items.Filter(new() { HasText = emails[0] })).ToHaveTextAsync($"{emails[0]}: throttled (had a code too recently)");
        await Expect(items.Filter(new() { HasText = emails[1] })).ToHaveTextAsync($"{emails[1]}: already registered");
        await Expect(items.Filter(new() { HasText = emails[2] })).ToHaveTextAsync($"{emails[2]}: deactivated");
        await Expect(items.Filter(new() { HasText = emails[3] })).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(summary, $"the bulk resend summary in the {(dark ? "dark" : "light")} theme");

        await list.GetByRole(AriaRole.Link, new() { Name = emails[1], Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = emails[1], Exact = true, Level = 1 })).ToBeVisibleAsync();
        session.AssertNoConsoleErrors();
    }
}
