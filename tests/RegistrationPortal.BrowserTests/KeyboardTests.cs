using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The portal with the keyboard alone: search, reach a row's Resend, confirm, cancel with Escape, deactivate, invite
/// with Enter, and focus back on the button that opened each dialog; a followed menu link's focus on the new page's
/// heading, and a field the person chose keeping the focus however late the server's call for the heading lands
/// (<see cref="CircuitGate"/> holds it); a focus ring to see where one is, in both themes.
/// Each test makes its own organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class KeyboardTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    /// <summary>
    /// From the search field to the row's Resend: the bulk resend's days and button, the select-all box, the three
    /// sortable headers, the row's box and link (18 before the column menus went and the search moved next to the grid).
    /// </summary>
    private const int MostTabsToResend = 9;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_admin_searches_resends_cancels_with_escape_deactivates_and_invites_with_the_keyboard_alone()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Keyboard Widgets");
        var emails = new[] { PortalFactory.NewEmail("keys-a"), PortalFactory.NewEmail("keys-b"), PortalFactory.NewEmail("keys-c") };
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        var email = emails[1];
        await using var session = await SignedInAsync(admin);
        var page = session.Page;

        await Portal.SearchField(page).FocusAsync();
        await page.Keyboard.TypeAsync(email.Split('@')[0]);
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await ExpectFocusedAsync(page, Portal.SearchField(page));
        var resend = Portal.ResendButton(page, email);
        var stops = new List<string>();
        var tabs = await TabUntilFocusedAsync(page, resend, 30, stops);
        Assert.True(tabs <= MostTabsToResend, $"{tabs} Tabs from the search field to the row's Resend: {string.Join(" | ", stops)}");
        await AssertFocusRingAsync(resend, "the row's Resend button");

        // Escape closes the confirmation; focus starts on Cancel, never on the action, and comes back to the row.
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await ExpectFocusedAsync(page, dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }));
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await ExpectFocusedAsync(page, resend);

        // Confirmed with Tab and Enter: the code goes, and focus is back on the row.
        await page.Keyboard.PressAsync("Enter");
        await ExpectFocusedAsync(page, dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }));
        await page.Keyboard.PressAsync("Tab");
        await ExpectFocusedAsync(page, dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByText($"New code sent to {email}. It expires ")).ToBeVisibleAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await ExpectFocusedAsync(page, resend);

        // On the user's page, Deactivate is red, and so is its confirmation; Escape keeps the user.
        await page.Keyboard.PressAsync("Shift+Tab");
        await ExpectFocusedAsync(page, page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = email, Level = 1 })).ToBeVisibleAsync();
        var deactivate = page.GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true });
        await Expect(deactivate).ToHaveClassAsync(FilledError());
        await TabUntilFocusedAsync(page, deactivate, 30);
        await page.Keyboard.PressAsync("Enter");
        await Expect(dialog).ToBeVisibleAsync();
        await ExpectFocusedAsync(page, dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }));
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true })).ToHaveClassAsync(FilledError());
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await ExpectFocusedAsync(page, deactivate);
        await Expect(page.GetByLabel("Status: Pending", new() { Exact = true })).ToBeVisibleAsync();

        // Invite: Enter in the email field sends it; focus comes back to Invite.
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to users" }).ClickAsync();
        await Portal.WaitUntilInteractiveAsync(page);
        var invite = page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true });
        await invite.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var inviteDialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite a user" });
        var field = inviteDialog.GetByLabel("Email", new() { Exact = true });
        await ExpectFocusedAsync(page, field);
        var invited = PortalFactory.NewEmail("keys-new");
        await page.Keyboard.TypeAsync(invited);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByText($"Invited {invited}. Their code expires ")).ToBeVisibleAsync();
        await Expect(inviteDialog).ToBeHiddenAsync();
        await ExpectFocusedAsync(page, invite);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task What_a_person_types_while_the_server_is_slow_to_finish_a_page_keeps_the_focus_and_every_letter()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Keyboard Early Typists");
        var emails = new[] { PortalFactory.NewEmail("early-a"), PortalFactory.NewEmail("early-b"), PortalFactory.NewEmail("early-c") };
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;

        // The server's call that puts the focus on the page's heading (the framework's, or the portal's own) comes
        // only after the person has started typing into the search, which the page had already enabled.
        var gate = await CircuitGate.InstallAsync(page, "Blazor._internal.domWrapper.focusBySelector", "portal.focusHeading");
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        await gate.Holding.WaitAsync(Deadline);
        var search = Portal.SearchField(page);
        await search.FocusAsync();
        var typed = emails[1].Split('@')[0];
        await page.Keyboard.TypeAsync(typed);
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await gate.ReleaseAsync().WaitAsync(Deadline);
        await ExpectFocusedAsync(page, search);
        await Expect(search).ToHaveValueAsync(typed);

        // After a navigation inside the page, the same call comes after the person opened the invitation dialog and
        // typed into it: the focus stays in the dialog, and every letter with it.
        await page.GetByRole(AriaRole.Link, new() { Name = emails[1], Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = emails[1], Level = 1 })).ToBeVisibleAsync();
        gate.Arm();
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to users" }).ClickAsync();
        await gate.Holding.WaitAsync(Deadline);
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        var field = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite a user" }).GetByLabel("Email", new() { Exact = true });
        await ExpectFocusedAsync(page, field);
        var invited = PortalFactory.NewEmail("early-new");
        await page.Keyboard.TypeAsync(invited[..10]);
        await gate.ReleaseAsync().WaitAsync(Deadline);
        await page.Keyboard.TypeAsync(invited[10..]);
        await ExpectFocusedAsync(page, field);
        await Expect(field).ToHaveValueAsync(invited);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_menu_link_followed_with_the_keyboard_leaves_the_focus_on_the_new_pages_heading()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Keyboard Headings");
        await using var session = await SignedInAsync(admin);
        var page = session.Page;
        var menu = page.GetByRole(AriaRole.Navigation, new() { Name = "Portal" });

        // A screen reader goes on from the heading of the page the link opened, not from the menu.
        await menu.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await ExpectFocusedAsync(page, page.GetByRole(AriaRole.Heading, new() { Name = "Audit", Level = 1 }));

        await menu.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await ExpectFocusedAsync(page, page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 }));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Buttons_and_navigation_links_show_a_focus_ring_in_both_themes()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Focus Widgets");
        await using var session = await SignedInAsync(admin);
        var page = session.Page;

        foreach (var theme in new[] { "light", "dark" })
        {
            if (theme == "dark")
            {
                await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme", Exact = true }).ClickAsync();
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme", Exact = true })).ToBeVisibleAsync();
            }

            await Portal.SearchField(page).FocusAsync();
            var invite = page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true });
            await TabUntilFocusedAsync(page, invite, 10, key: "Shift+Tab");
            await AssertFocusRingAsync(invite, $"the Invite button ({theme})");

            var users = page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true });
            await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).FocusAsync();
            await page.Keyboard.PressAsync("Tab");
            await ExpectFocusedAsync(page, users);
            await AssertFocusRingAsync(users, $"the Users navigation link ({theme})");
        }

        session.AssertNoConsoleErrors();
    }

    /// <summary>A browser the size of a laptop's screen, signed in as <paramref name="admin"/>, on the Users page.</summary>
    private async Task<BrowserSession> SignedInAsync(OrgAdmin admin)
    {
        var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        try
        {
            await Portal.SignInToUsersAsync(session.Page, admin.Email, admin.Password);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for <paramref name="element"/> to have the focus; says where the focus is if it never comes.</summary>
    private static async Task ExpectFocusedAsync(IPage page, ILocator element)
    {
        try
        {
            await Expect(element).ToBeFocusedAsync();
        }
        catch (PlaywrightException ex)
        {
            var active = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 300) ?? 'nothing'");
            throw new Xunit.Sdk.XunitException($"{element} never had the focus; it is on {active}.{Environment.NewLine}{ex.Message}");
        }
    }

    /// <summary>Presses Tab until <paramref name="target"/> has the focus; returns how many presses that took.</summary>
    private static async Task<int> TabUntilFocusedAsync(IPage page, ILocator target, int most, List<string>? stops = null, string key = "Tab")
    {
        for (var tabs = 1; tabs <= most; tabs++)
        {
            await page.Keyboard.PressAsync(key);
            stops?.Add(await page.EvaluateAsync<string>("() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30) || e.tagName; }"));
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                return tabs;
            }
        }

        throw new Xunit.Sdk.XunitException($"{most} Tabs did not reach {target}; the focus is on {await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)")}");
    }

    /// <summary>A solid outline at least 2 px wide, at 3:1 or more against the page behind the element.</summary>
    private static async Task AssertFocusRingAsync(ILocator element, string what)
    {
        var ring = await element.EvaluateAsync<FocusRing>(
            """
            e => {
                const style = getComputedStyle(e);
                const rgb = c => (c.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
                const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
                    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
                let back = e.parentElement, backColor = 'rgb(255, 255, 255)';
                while (back) {
                    const c = getComputedStyle(back).backgroundColor;
                    if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)')) { backColor = c; break; }
                    back = back.parentElement;
                }
                const a = lum(rgb(style.outlineColor)), b = lum(rgb(backColor));
                return {
                    focusVisible: e.matches(':focus-visible'),
                    style: style.outlineStyle,
                    width: parseFloat(style.outlineWidth) || 0,
                    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
                };
            }
            """);
        Assert.True(ring.FocusVisible, $"{what} is not :focus-visible");
        Assert.True(ring.Style is not "none" && ring.Width >= 2, $"{what} has no focus ring (outline {ring.Style} {ring.Width}px)");
        Assert.True(ring.Contrast >= 3, $"{what}'s focus ring has {ring.Contrast:0.0}:1 against the page");
    }

    private sealed class FocusRing
    {
        public bool FocusVisible { get; set; }

        public string Style { get; set; } = "";

        public double Width { get; set; }

        public double Contrast { get; set; }
    }

    [GeneratedRegex(@"\bmud-button-filled-error\b")]
    private static partial Regex FilledError();
}
