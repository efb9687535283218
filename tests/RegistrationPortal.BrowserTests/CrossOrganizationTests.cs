using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// An org admin signed in through the sign-in form, in a real browser, reaching for another organization's things:
/// its user page by address, its users, audit events and applications through the search fields and a forged
/// organization cookie, its users through invite and bulk resend. Each gets what a missing id or an unknown name
/// gets, and the other organization's trail and outbox stay as they were.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="CrossOrganizationTestsOnSqlite"/> and <see cref="CrossOrganizationTestsOnPostgres"/>.</remarks>
public abstract partial class CrossOrganizationTests(BrowserFixture browser, BrowserHost host)
{
    private sealed record Victim(string OrgId, string AppId, IReadOnlyList<string> Emails, IReadOnlyList<string> UserIds, OrgAdmin Admin);

    /// <summary>What the other organization holds: its trail and its outbox, counted before and after.</summary>
    private sealed record Holdings(int AuditEvents, int OutboxMessages, int Users);

    /// <summary>Another organization with an admin, three pending users and an API application that resent one of them a code.</summary>
    private async Task<Victim> OtherOrganizationAsync()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Other Org");
        var emails = Enumerable.Range(0, 3).Select(i => PortalFactory.NewEmail($"other-{i}")).ToList();
        var ids = await host.Factory.InviteAllAsync(admin.OrgId, emails);
        var appId = await host.Factory.CreateApplicationAsync(admin.OrgId);
        // Their application resends a code through the API, so it is an actor of their trail.
        await DfnsApi.AssertSuccessAsync(await host.Http.ResendAsync(admin.OrgId, emails[1], (AuthHeaders.AppId, appId)));
        await host.Factory.PublicRequestsResolvedAsync();
        Assert.Equal(2, (await host.Factory.OutboxAsync(ids[1])).Count);
        // Their mail is delivered first, so that the dispatcher's own work does not move the counts.
        foreach (var id in ids)
        {
            await Wait.WaitUntilAsync(() => host.Factory.OutboxDrainedAsync(id), "the other organization's mail is delivered");
        }

        return new Victim(admin.OrgId, appId, emails, ids, admin);
    }

    private Task<Holdings> HoldingsAsync(string orgId) =>
        host.Factory.WithDbAsync(async db => new Holdings(
            await db.AuditEvents.CountAsync(e => e.OrgId == orgId),
            await db.OutboxMessages.CountAsync(m => m.OrgId == orgId),
            await db.OrgUsers.CountAsync(u => u.OrgId == orgId)));

    /// <summary>The page itself, without the app bar and the navigation.</summary>
    private static ILocator Content(IPage page) => page.Locator(".mud-main-content");

    [GeneratedRegex("^Open event ")]
    private static partial Regex OpenEventName();

    [Fact]
    public async Task Another_organizations_user_page_reads_exactly_like_a_missing_user_and_offers_nothing_to_press()
    {
        var other = await OtherOrganizationAsync();
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("My Org");
        var before = await HoldingsAsync(other.OrgId);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;

        var missing = Ids.New(Ids.User);
        await Portal.SignInAtAsync(page, $"users/{missing}", admin.Email, admin.Password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "User not found", Exact = true })).ToBeVisibleAsync();
        var missingPage = await Content(page).InnerTextAsync();

        await page.GotoAsync($"users/{other.UserIds[0]}");
        await Portal.WaitForCircuitAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "User not found", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(missingPage, await Content(page).InnerTextAsync());
        Assert.Equal("User · Users · RegistrationPortal", await page.TitleAsync());
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resend code", Exact = true })).ToHaveCountAsync(0);
        await Expect(page.GetByText(other.Emails[0])).ToHaveCountAsync(0);

        // The attempt is on the admin's own record, as the missing id's is, and on nobody else's.
        Assert.Equal(before, await HoldingsAsync(other.OrgId));
        var denied = await host.Factory.WithDbAsync(db => db.AuditEvents
            .Where(e => e.OrgId == admin.OrgId && e.Action == Web.Shared.AuditActions.AccessDenied)
            .Select(e => e.SubjectId).ToListAsync());
        Assert.Equal(2, denied.Count);
        Assert.Contains(missing, denied);
        Assert.Contains(other.UserIds[0], denied);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_forged_organization_cookie_and_the_search_fields_show_none_of_another_organizations_users_events_or_applications()
    {
        var other = await OtherOrganizationAsync();
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("My Org");
        var mine = PortalFactory.NewEmail("mine");
        await host.Factory.InviteAllAsync(admin.OrgId, [mine]);
        var myApp = await host.Factory.CreateApplicationAsync(admin.OrgId);
        var before = await HoldingsAsync(other.OrgId);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        // The selection cookie a platform admin's browser would carry, pointing at the other organization.
        await session.Context.AddCookiesAsync([new Cookie { Name = OrganizationSelection.CookieName, Value = other.OrgId, Url = host.BaseAddress.ToString() }]);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        // Users: the admin's own pending user, none of the other's; searching one of theirs finds what an unknown address finds.
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await Expect(Portal.ResendButton(page, mine)).ToBeVisibleAsync();
        await Portal.SearchField(page).FillAsync(PortalFactory.NewEmail("nobody"));
        await Expect(page.GetByText("No user matches. Clear the search or change the filters.")).ToBeVisibleAsync();
        var unknownUser = await Content(page).InnerTextAsync();
        await Portal.SearchField(page).FillAsync(mine);
        await Expect(Portal.ResendButton(page, mine)).ToBeVisibleAsync();
        await Portal.SearchField(page).FillAsync(other.Emails[1]);
        await Expect(page.GetByText("No user matches. Clear the search or change the filters.")).ToBeVisibleAsync();
        Assert.Equal(unknownUser, await Content(page).InnerTextAsync());

        // Audit: exactly the admin's own organization's events; the other organization's admin and application are
        // actors nobody has heard of here.
        var myEvents = await host.Factory.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == admin.OrgId));
        await page.GotoAsync("audit");
        await Portal.WaitForCircuitAsync(page);
        var actor = page.GetByLabel("Actor id or admin email", new() { Exact = true });
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Audit events" })).ToContainTextAsync(mine);
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = OpenEventName() })).ToHaveCountAsync(myEvents);
        foreach (var theirs in new[] { other.Admin.Email, other.AppId })
        {
            await actor.FillAsync("");
            await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Audit events" })).ToContainTextAsync(mine);
            await actor.FillAsync(theirs);
            await Expect(page.GetByText("No event matches. Clear or change the filters.")).ToBeVisibleAsync();
        }

        // Applications: the admin's own, not the other's.
        await page.GotoAsync("applications");
        await Portal.WaitForCircuitAsync(page);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Applications" })).ToContainTextAsync(myApp);
        await Expect(Content(page)).Not.ToContainTextAsync(other.AppId);

        Assert.Equal(before, await HoldingsAsync(other.OrgId));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Invite_and_bulk_resend_under_a_forged_organization_cookie_reach_only_the_admins_own_organization()
    {
        var other = await OtherOrganizationAsync();
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("My Org");
        var mine = PortalFactory.NewEmail("mine");
        var myUser = (await host.Factory.InviteAllAsync(admin.OrgId, [mine]))[0];
        var before = await HoldingsAsync(other.OrgId);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        await session.Context.AddCookiesAsync([new Cookie { Name = OrganizationSelection.CookieName, Value = other.OrgId, Url = host.BaseAddress.ToString() }]);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        // Inviting one of the other organization's users makes a new user here, as any new address would.
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite a user" });
        await dialog.GetByLabel("Email", new() { Exact = true }).FillAsync(other.Emails[2]);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(page.GetByText($"Invited {other.Emails[2]}. Their code expires ")).ToBeVisibleAsync();
        var invited = await host.Factory.WithDbAsync(db => db.OrgUsers.Where(u => u.Username == other.Emails[2]).Select(u => u.OrgId).ToListAsync());
        Assert.Equal([admin.OrgId, other.OrgId], invited.OrderBy(org => org == admin.OrgId ? 0 : 1));

        // Bulk resend to everyone pending counts and mails the admin's two users, none of the other's three.
        await page.GetByLabel("Pending for more than (days)", new() { Exact = true }).FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend to everyone pending longer", Exact = true }).ClickAsync();
        var preview = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend preview" });
        await Expect(preview).ToContainTextAsync("2 users have been pending for more than 0 days: 2 will get a new code.");
        await preview.GetByRole(AriaRole.Button, new() { Name = "Send 2 codes", Exact = true }).ClickAsync();
        var summary = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend summary" });
        await Expect(summary).ToContainTextAsync("2 sent, 0 throttled, 0 already registered, 0 deactivated, 0 not found.");
        Assert.Equal(2, (await host.Factory.OutboxAsync(myUser)).Count);

        Assert.Equal(before, await HoldingsAsync(other.OrgId));
        var theirMail = await Task.WhenAll(other.UserIds.Select(async id => (await host.Factory.OutboxAsync(id)).Count));
        Assert.Equal(new[] { 1, 2, 1 }, theirMail);

        session.AssertNoConsoleErrors();
    }
}

[Collection(BrowserCollection.Name)]
public sealed class CrossOrganizationTestsOnSqlite(BrowserFixture browser, PlainBrowserHost host)
    : CrossOrganizationTests(browser, host), IClassFixture<PlainBrowserHost>;

[Collection(BrowserCollection.Name)]
public sealed class CrossOrganizationTestsOnPostgres(BrowserFixture browser, PostgresPlainBrowserHost host)
    : CrossOrganizationTests(browser, host), IClassFixture<PostgresPlainBrowserHost>;
