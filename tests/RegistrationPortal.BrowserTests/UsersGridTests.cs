using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The Users grid as an admin reads it on a laptop (1366×850): every column readable, nothing under the sticky
/// Actions column, one line per user, and a screenful of users. Each test makes its own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class UsersGridTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Fact]
    public async Task At_1366_px_the_actions_cover_no_column_times_stay_on_one_line_and_ten_rows_fit_a_screen()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Laptop Widgets");
        var emails = Enumerable.Range(0, 14).Select(i => $"grid-{i:00}-{Guid.NewGuid():N}@laptop-widgets.example").ToList();
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        foreach (var email in emails)
        {
            await host.Smtp.WaitForMessagesAsync(email);
        }

        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        var grid = page.GetByRole(AriaRole.Table, new() { Name = "Users" });
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(14);
        await Expect(grid.GetByRole(AriaRole.Cell, new() { Name = "Delivered", Exact = true })).ToHaveCountAsync(14);

        // Every column is on the screen, none lies under another (a sticky one), and none is cut short.
        var headers = await grid.Locator("thead th").AllAsync();
        float? previousRight = null;
        foreach (var header in headers)
        {
            var box = await header.BoundingBoxAsync();
            var name = (await header.InnerTextAsync()).Trim();
            Assert.True(box!.X + box.Width <= 1366, $"{name} is off the screen (x {box.X}, width {box.Width})");
            Assert.True(previousRight is null || box.X >= previousRight - 1, $"{name} (x {box.X}) lies under the column before it (right edge {previousRight})");
            Assert.True(await header.EvaluateAsync<bool>("th => th.scrollWidth <= th.clientWidth + 1"), $"the {name} header is cut");
            previousRight = box.X + box.Width;
        }

        // The Resend of a row is beside its email, whatever the width.
        await Expect(grid.Locator("thead th").Nth(2)).ToHaveTextAsync("Actions");

        // Every time and the delivery fit on one line: a row is as tall as its button.
        foreach (var row in (await grid.Locator("tbody tr").AllAsync()).Take(3))
        {
            var box = await row.BoundingBoxAsync();
            Assert.True(box!.Height <= 52, $"a row is {box.Height} px tall: its cells wrap");
        }

        // A text that wraps is drawn in line boxes one under another.
        var wrapped = await grid.EvaluateAsync<string[]>(@"t => {
            const walker = document.createTreeWalker(t.querySelector('tbody'), NodeFilter.SHOW_TEXT);
            const found = [];
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                if (!n.textContent.trim()) continue;
                const r = document.createRange();
                r.selectNodeContents(n);
                if (new Set([...r.getClientRects()].map(b => Math.round(b.top))).size > 1) found.push(n.textContent.trim());
            }
            return found;
        }");
        Assert.True(wrapped.Length == 0, "these wrap onto a second line: " + string.Join(", ", wrapped.Take(5)));

        // Scrolled to the grid, ten users or more are on the screen.
        await grid.Locator("thead").ScrollIntoViewIfNeededAsync();
        await grid.EvaluateAsync("t => t.scrollIntoView({ block: 'start' })");
        var visible = await grid.EvaluateAsync<int>("t => [...t.querySelectorAll('tbody tr')].filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length");
        Assert.True(visible >= 10, $"{visible} rows fit a 850 px screen");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("users-1366.png") });
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_toast_covers_neither_the_app_bar_nor_the_filters()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Toast Widgets");
        var email = $"toast-{Guid.NewGuid():N}@toast-widgets.example";
        await host.Factory.InviteAllAsync(admin.OrgId, [email]);
        await host.Smtp.WaitForMessagesAsync(email);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        await Portal.ConfirmResendAsync(page, email);
        var toast = page.Locator(".mud-snackbar").Filter(new() { HasText = "New code sent to" });
        await Expect(toast).ToBeVisibleAsync();
        var toastBox = (await toast.BoundingBoxAsync())!;
        foreach (var (what, box) in new[]
        {
            ("the app bar", await page.GetByRole(AriaRole.Banner).BoundingBoxAsync()),
            ("the search field", await Portal.SearchField(page).BoundingBoxAsync()),
            ("the status filter", await page.GetByLabel("Status", new() { Exact = true }).First.BoundingBoxAsync()),
        })
        {
            var overlaps = box is not null && toastBox.X < box.X + box.Width && box.X < toastBox.X + toastBox.Width && toastBox.Y < box.Y + box.Height && box.Y < toastBox.Y + toastBox.Height;
            Assert.False(overlaps, $"the toast (x {toastBox.X}, y {toastBox.Y}) covers {what}");
        }
    }

    [Fact]
    public async Task The_dashboards_cards_lead_to_what_they_count()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Card Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);

        await page.GetByRole(AriaRole.Link, new() { Name = "Delivery failures", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Delivery failures awaiting attention" })).ToBeInViewportAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Pending users", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/users$"));
        await Portal.WaitUntilInteractiveAsync(page);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Invite_many_gives_the_lines_it_will_not_invite_as_text_to_copy()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Paste Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        string[] lines = [$"ok-{Guid.NewGuid():N}@paste.example", "not an address", $"two-{Guid.NewGuid():N}@paste.example,Robot"];

        await page.GetByRole(AriaRole.Button, new() { Name = "Invite many", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite many users" });
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Paste a list", Exact = true }).FillAsync(string.Join('\n', lines));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Preview", Exact = true }).ClickAsync();

        var rejected = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Lines that will not be invited", Exact = true });
        await Expect(rejected).ToHaveValueAsync($"{lines[1]}\n{lines[2]}");
        await Expect(rejected).ToHaveAttributeAsync("readonly", "");
        session.AssertNoConsoleErrors();
    }
}
