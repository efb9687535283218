using RegistrationPortal.Testing;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Features.Users.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>Bulk resend on the users page: selection, preview, the running job and its summary.</summary>
public sealed class BulkResendPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task Resending_to_selected_users_previews_the_throttled_one_then_sums_up_what_happened()
    {
        var org = await Portal.CreateOrganizationAsync();
        var ana = await Portal.InviteAsync(org, "ana@bulk-page.example");
        await Portal.InviteAsync(org, "ben@bulk-page.example");
        await Portal.InviteAsync(org, "cy@bulk-page.example");
        await Portal.Provider.GetRequiredService<OrgUserAdminService>().ResendAsync(ScopeOf(org), ana, null);
        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("cy@bulk-page.example", page.Markup), Deadline);
        Assert.True(ResendToSelected(page).HasAttribute("disabled"));

        await CheckboxLabelled(page, "Select ana@bulk-page.example").ChangeAsync(new() { Value = true });
        await CheckboxLabelled(page, "Select ben@bulk-page.example").ChangeAsync(new() { Value = true });
        page.WaitForAssertion(() => Assert.Equal("Resend to selected (2)", ResendToSelected(page).TextContent.Trim()), Deadline);
        await ResendToSelected(page).ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("2 selected users: 1 will get a new code.", page.Markup), Deadline);
        Assert.Contains("1 will be skipped: 1 had a code too recently (throttled).", page.Markup);
        Assert.Equal(1, await CodesOfAsync(org, "ben@bulk-page.example"));

        await SendButton(page).ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("Bulk resend to 2 selected users finished.", page.Markup), Deadline);
        Assert.Contains("1 sent, 1 throttled, 0 already registered, 0 deactivated, 0 not found.", page.Markup);

        // A summary carries its time, so the next run's summary does not look like this one.
        Assert.Matches(@"Started \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC, ended \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\.", page.Markup);
        Assert.Equal(2, await CodesOfAsync(org, "ben@bulk-page.example"));
        Assert.Equal(1, await CodesOfAsync(org, "cy@bulk-page.example"));
        page.WaitForAssertion(() => Assert.Equal("Resend to selected (0)", ResendToSelected(page).TextContent.Trim()), Deadline);
    }

    [Fact]
    public async Task Resending_to_everyone_pending_longer_than_n_days_previews_the_count_and_sends_only_to_them()
    {
        var org = await Portal.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        await Portal.InsertAsync(org, 5, i => $"days-{i}@bulk-page.example", i => i < 3 ? now.AddDays(-8) : now.AddDays(-2));
        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("days-4@bulk-page.example", page.Markup), Deadline);

        await page.Find("input[aria-label='Pending for more than (days)']").ChangeAsync(new() { Value = "7" });
        await page.Find("button[aria-label='Resend to everyone pending longer']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("3 users have been pending for more than 7 days: 3 will get a new code.", page.Markup), Deadline);
        Assert.Equal("Send 3 codes", SendButton(page).TextContent.Trim());
        await SendButton(page).ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("Bulk resend to everyone pending for more than 7 days finished.", page.Markup), Deadline);
        Assert.Contains("3 sent, 0 throttled", page.Markup);
        Assert.Equal(1, await CodesOfAsync(org, "days-0@bulk-page.example"));
        Assert.Equal(0, await CodesOfAsync(org, "days-3@bulk-page.example"));
    }

    [Fact]
    public async Task Resending_to_everyone_pending_longer_says_it_takes_the_whole_organization_and_warns_about_people_invited_moments_ago()
    {
        var org = await Portal.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        await Portal.InsertAsync(org, 3, i => $"whole-{i}@bulk-page.example", _ => now.AddDays(-2));
        await Portal.InviteAsync(org, "just-invited@bulk-page.example");
        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("whole-2@bulk-page.example", page.Markup), Deadline);

        // The search narrows the grid to one user; the bulk action says plainly that it does not follow it.
        await page.Find("input[aria-label='Search email']").InputAsync(new() { Value = "whole-1" });
        page.WaitForAssertion(() => Assert.DoesNotContain("whole-2@bulk-page.example", page.Markup), Deadline);
        await page.Find("input[aria-label='Pending for more than (days)']").ChangeAsync(new() { Value = "0" });
        await page.Find("button[aria-label='Resend to everyone pending longer']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("Across the whole organization, whatever the search and filters show, 4 users have been pending for more than 0 days: 4 will get a new code.", page.Markup), Deadline);
        Assert.Contains("1 of them was invited less than a minute ago: a new code replaces the one just emailed to them.", page.Markup);
    }

    [Fact]
    public async Task An_empty_number_of_days_is_explained_and_cancelling_a_preview_sends_nothing()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InsertAsync(org, 2, i => $"cancel-{i}@bulk-page.example", _ => DateTimeOffset.UtcNow.AddDays(-40));
        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("cancel-1@bulk-page.example", page.Markup), Deadline);

        await page.Find("input[aria-label='Pending for more than (days)']").ChangeAsync(new() { Value = "" });
        await page.Find("button[aria-label='Resend to everyone pending longer']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("Enter a number of days from 0 to 3,650.", page.Markup), Deadline);

        await page.Find("input[aria-label='Pending for more than (days)']").ChangeAsync(new() { Value = "30" });
        await page.Find("button[aria-label='Resend to everyone pending longer']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("2 users have been pending for more than 30 days", page.Markup), Deadline);
        await page.Find("button[aria-label='Cancel bulk resend']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.DoesNotContain("have been pending for more than", page.Markup), Deadline);
        Assert.Equal(0, await CodesOfAsync(org, "cancel-0@bulk-page.example"));
        Assert.Null(Portal.Provider.GetRequiredService<BulkResendJobs>().Find(ScopeOf(org)));
    }

    [Fact]
    public async Task A_running_job_shows_its_progress_on_a_page_that_stays_usable_and_a_page_opened_later_shows_its_summary()
    {
        var org = await Portal.CreateOrganizationAsync();
        var ids = await Portal.InsertAsync(org, 4, i => $"running-{i}@bulk-page.example");
        var admin = ScopeOf(org);
        var writes = Portal.Provider.GetRequiredService<WriteQueue>();

        // Hold the single writer: the job is started (as from an earlier visit to the page) but cannot move yet.
        // Whatever happens inside, the writer is released at the end, or every later test would wait on it.
        IRenderedComponent<UsersPage> page;
        await using (await writes.HoldAsync(Deadline))
        {
            var job = await Portal.Provider.GetRequiredService<BulkResendJobs>().StartAsync(admin, new BulkResendTarget.Selected(ids), null);
            Assert.NotNull(job);
            SignInAsAdminOf(org);

            page = RenderInteractive<UsersPage>();
            page.WaitForAssertion(() => Assert.Contains("running-3@bulk-page.example", page.Markup), Deadline);
            var progress = page.Find("[aria-label='Sending registration codes']");
            Assert.Equal("progressbar", progress.GetAttribute("role"));
            Assert.Contains("Sending codes to 4 selected users: 0 of 4 done.", page.Markup);
            Assert.True(page.Find("button[aria-label='Resend to everyone pending longer']").HasAttribute("disabled"));

            // The page stays usable while the job runs: the search still narrows the grid.
            await page.Find("input[aria-label='Search email']").InputAsync(new() { Value = "running-2" });
            page.WaitForAssertion(() => Assert.DoesNotContain("running-3@bulk-page.example", page.Markup), Deadline);
        }

        page.WaitForAssertion(() => Assert.Contains("Bulk resend to 4 selected users finished.", page.Markup), Deadline);
        Assert.Contains("4 sent, 0 throttled", page.Markup);

        var later = RenderInteractive<UsersPage>();
        later.WaitForAssertion(() => Assert.Contains("4 sent, 0 throttled, 0 already registered, 0 deactivated, 0 not found.", later.Markup), Deadline);
        Assert.Empty(later.FindAll("[aria-label='Sending registration codes']"));
    }

    /// <summary>A row's checkbox, by the name a screen reader gives it (MudBlazor labels it through aria-labelledby).</summary>
    private static AngleSharp.Dom.IElement CheckboxLabelled(IRenderedComponent<UsersPage> page, string name) =>
        page.FindAll("input[type=checkbox][aria-labelledby]")
            .Single(c => page.Find($"#{c.GetAttribute("aria-labelledby")}").TextContent.Trim() == name);

    // Both buttons are named by their visible text, which carries a count (a screen reader and voice control read
    // what is shown).
    private static AngleSharp.Dom.IElement ResendToSelected(IRenderedComponent<UsersPage> page) =>
        page.FindAll("button").Single(b => b.TextContent.Trim().StartsWith("Resend to selected (", StringComparison.Ordinal));

    private static AngleSharp.Dom.IElement SendButton(IRenderedComponent<UsersPage> page) =>
        page.FindAll("button").Single(b => System.Text.RegularExpressions.Regex.IsMatch(b.TextContent.Trim(), @"^Send [\d,]+ codes?$"));

    private async Task<int> CodesOfAsync(string orgId, string email)
    {
        await using var db = await Portal.Provider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var normalized = EmailAddress.Normalize(email);
        return db.RegistrationCodes.Count(c => c.OrgId == orgId && db.OrgUsers.Any(u => u.Id == c.UserId && u.NormalizedUsername == normalized));
    }
}
