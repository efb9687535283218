using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// An admin in India (UTC+05:30, a zone no test host runs in) reads every time in their own zone, with UTC on hover:
/// the Users grid, a resend's toast, the user's page and the audit trail, whose details read as words.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class LocalTimeTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private static readonly TimeSpan India = TimeSpan.FromHours(5.5);

    [Fact]
    public async Task Times_are_in_the_browsers_zone_with_utc_on_hover_and_audit_details_read_as_words()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Kolkata Widgets");
        var email = $"local-{Guid.NewGuid():N}@kolkata-widgets.example";
        var userId = (await host.Factory.InviteAllAsync(admin.OrgId, [email]))[0];
        await host.Smtp.WaitForMessagesAsync(email);
        var created = await host.Factory.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.CreatedAt).SingleAsync());

        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850, timeZone: "Asia/Kolkata");
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
        var createdCell = row.Locator("time").First;
        await Expect(createdCell).ToHaveTextAsync(Local(created, "yyyy-MM-dd HH:mm"));
        await Expect(createdCell).ToHaveAttributeAsync("title", created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));

        await Portal.ConfirmResendAsync(page, email);
        await Expect(page.GetByText(ToastText())).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = email, Exact = true, Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Created" }).Locator("time")).ToHaveTextAsync(Local(created, "yyyy-MM-dd HH:mm"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Audit events" });
        await Expect(audit.GetByRole(AriaRole.Row).Filter(new() { HasText = "through the portal, expires" })).ToHaveCountAsync(1);
        var text = await audit.InnerTextAsync();
        Assert.DoesNotMatch(IsoTime(), text);
        Assert.DoesNotContain("through Admin", text, StringComparison.Ordinal);
        Assert.DoesNotContain("through System", text, StringComparison.Ordinal);
        session.AssertNoConsoleErrors();
    }

    private static string Local(DateTimeOffset at, string format) => at.ToOffset(India).ToString(format, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^New code sent to \S+\. It expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(UTC\+05:30\)\.$")]
    private static partial Regex ToastText();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")]
    private static partial Regex IsoTime();
}
