using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// What an org admin does to many users at once on the Users page: bulk resend, invite one, invite a pasted list,
/// and the page on a phone. Each test makes its own organization, with its own admin and users.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class UsersPageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    /// <summary>Hundreds of mails through the SMTP server take longer than one message does.</summary>
    private static readonly TimeSpan MailDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Bulk_resend_to_everyone_pending_longer_than_n_days_previews_the_counts_shows_progress_and_sums_up_and_the_mails_arrive()
    {
        const int older = 260;
        const int recent = 40;
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Bulk Older");
        var emails = Enumerable.Range(0, older + recent).Select(i => $"bulk-{i:000}-{Guid.NewGuid():N}@older.example").ToList();
        var ids = await host.Factory.InviteAllAsync(admin.OrgId, emails);
        var tenDaysAgo = DateTimeOffset.UtcNow.AddDays(-10);
        var olderIds = ids.Take(older).ToList();
        await host.Factory.WithDbAsync(db => db.OrgUsers.Where(u => olderIds.Contains(u.Id)).ExecuteUpdateAsync(s => s.SetProperty(u => u.CreatedAt, tenDaysAgo)));

        // One of them had a code a moment ago: the preview counts them out as throttled. Their invitation is delivered
        // first, or the resend would supersede it in the outbox and they would get one mail, not two.
        var throttled = emails[0];
        await WaitForMailsAsync(emails.Select(e => (e, 1)));
        Assert.Equal(ResendStatus.Sent, (await host.Factory.Services.GetRequiredService<RegistrationService>().ResendAsync(admin.OrgId, throttled, Actor.Operator("test"))).Status);
        await WaitForMailsAsync(emails.Select(e => (e, e == throttled ? 2 : 1)));

        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        await page.GetByLabel("Pending for more than (days)", new() { Exact = true }).FillAsync("7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend to everyone pending longer", Exact = true }).ClickAsync();

        var preview = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend preview" });
        await Expect(preview).ToContainTextAsync("260 users have been pending for more than 7 days: 259 will get a new code.");
        await Expect(preview).ToContainTextAsync("1 will be skipped: 1 had a code too recently (throttled).");
        await Expect(preview.GetByRole(AriaRole.Button)).ToHaveTextAsync(["Send 259 codes", "Cancel"]);
        await Accessibility.AssertNoSeriousViolationsAsync(page.GetByRole(AriaRole.Region, new() { Name = "Bulk resend" }), "the bulk resend panel with its preview");

        var progress = page.GetByRole(AriaRole.Progressbar, new() { Name = "Sending registration codes", Exact = true });
        await using (await host.Factory.HoldWriterAsync())
        {
            // While the database is busy with another write, the job has started and shows where it is.
            await preview.GetByRole(AriaRole.Button, new() { Name = "Send 259 codes", Exact = true }).ClickAsync();
            await Expect(progress).ToBeVisibleAsync();
            await Expect(progress).ToHaveAttributeAsync("aria-valuenow", "0");
            await Expect(page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend progress" })).ToContainTextAsync("Sending codes to everyone pending for more than 7 days: 0 of 260 done.");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop bulk resend" })).ToBeEnabledAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resend to everyone pending longer", Exact = true })).ToBeDisabledAsync();
            await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("bulk-resend-progress.png") });
        }

        var summary = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend summary" });
        await Expect(summary).ToContainTextAsync("Bulk resend to everyone pending for more than 7 days finished.");
        await Expect(summary).ToContainTextAsync("259 sent, 1 throttled, 0 already registered, 0 deactivated, 0 not found.");
        await Expect(progress).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("bulk-resend-summary.png") });

        // Every older user but the throttled one has a second mail with a new code; the recent ones have only their invitation.
        var mails = await WaitForMailsAsync(emails.Take(older).Where(e => e != throttled).Select(e => (e, 2)));
        foreach (var email in emails.Take(older).Where(e => e != throttled))
        {
            Assert.NotEqual(Mail.Code(mails[email][0]), Mail.Code(mails[email][1]));
        }

        // Nothing else was queued: the throttled user and the recent ones have no more than before.
        Assert.Equal(2, mails[throttled].Count);
        Assert.All(emails.Skip(older), e => Assert.Single(mails[e]));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Bulk_resend_to_selected_rows_counts_the_throttled_one_out_and_clears_the_selection()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Bulk Selected");
        var emails = Enumerable.Range(0, 5).Select(i => $"picked-{i}-{Guid.NewGuid():N}@selected.example").ToList();
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        await WaitForMailsAsync(emails.Select(e => (e, 1)));
        Assert.Equal(ResendStatus.Sent, (await host.Factory.Services.GetRequiredService<RegistrationService>().ResendAsync(admin.OrgId, emails[2], Actor.Operator("test"))).Status);
        await WaitForMailsAsync(emails.Select(e => (e, e == emails[2] ? 2 : 1)));
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        var resendSelected = page.GetByRole(AriaRole.Button, new() { NameRegex = ResendToSelectedName() });
        await Expect(resendSelected).ToBeDisabledAsync();
        foreach (var email in emails.Take(3))
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {email}", Exact = true }).CheckAsync();
        }

        await Expect(resendSelected).ToHaveTextAsync("Resend to selected (3)");
        await Accessibility.AssertNoSeriousViolationsAsync(page.GetByRole(AriaRole.Region, new() { Name = "Bulk resend" }), "the bulk resend panel with rows selected");
        await resendSelected.ClickAsync();
        var preview = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend preview" });
        await Expect(preview).ToContainTextAsync("3 selected users: 2 will get a new code.");
        await Expect(preview).ToContainTextAsync("1 will be skipped: 1 had a code too recently (throttled).");
        await preview.GetByRole(AriaRole.Button, new() { Name = "Send 2 codes", Exact = true }).ClickAsync();

        var summary = page.GetByRole(AriaRole.Status, new() { Name = "Bulk resend summary" });
        await Expect(summary).ToContainTextAsync("Bulk resend to 3 selected users finished.");
        await Expect(summary).ToContainTextAsync("2 sent, 1 throttled, 0 already registered, 0 deactivated, 0 not found.");
        await Expect(resendSelected).ToHaveTextAsync("Resend to selected (0)");
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {emails[0]}", Exact = true })).Not.ToBeCheckedAsync();
        var mails = await WaitForMailsAsync([(emails[0], 2), (emails[1], 2)]);
        Assert.NotEqual(Mail.Code(mails[emails[0]][0]), Mail.Code(mails[emails[0]][1]));

        await summary.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(summary).ToHaveCountAsync(0);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Inviting_one_user_shows_them_in_the_grid_and_inviting_them_again_says_they_are_already_a_user()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Invite One");
        var email = PortalFactory.NewEmail("invited");
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        await Expect(page.GetByText("No one is waiting to register. Invite users, or show all users with the Status filter.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite a user" });
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the Invite dialog");
        await dialog.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.GetByText($"Invited {email}. Their code expires ")).ToBeVisibleAsync();
        await Expect(Portal.ResendButton(page, email)).ToBeVisibleAsync();
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        Assert.NotNull(invitation.Code);

        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByLabel("Email", new() { Exact = true }).FillAsync(email.ToUpperInvariant());
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(dialog).ToContainTextAsync($"{email.ToUpperInvariant()} is already a user of this organization.");
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the Invite dialog with its message");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Invite_many_previews_a_pasted_list_invites_the_ready_lines_with_progress_and_they_appear_in_the_grid()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Invite Many");
        var existing = Enumerable.Range(0, 5).Select(i => $"existing-{i}-{Guid.NewGuid():N}@existing.example").ToList();
        await host.Factory.InviteAllAsync(admin.OrgId, existing);
        var domain = $"list-{Guid.NewGuid():N}.example";
        var ready = Enumerable.Range(0, 280).Select(i => $"listed-{i:000}@{domain}").ToList();

        // 300 lines: 280 to invite (every tenth as a customer employee), 10 that are not addresses, 5 repeats of
        // earlier lines in other letter cases, and 5 people already in the organization.
        var lines = new List<string> { "email,kind" };
        lines.AddRange(ready.Select((e, i) => i % 10 == 0 ? $"{e},CustomerEmployee" : e));
        lines.AddRange(Enumerable.Range(0, 10).Select(i => $"not-an-address-{i}"));
        lines.AddRange(ready.Take(5).Select(e => e.ToUpperInvariant()));
        lines.AddRange(existing);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        await page.GetByRole(AriaRole.Button, new() { Name = "Invite many", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite many users" });
        await Expect(dialog).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the Invite many dialog");
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Paste a list", Exact = true }).FillAsync(string.Join('\n', lines));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Preview", Exact = true }).ClickAsync();

        await Expect(dialog.GetByText("280 ready to invite", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("10 invalid", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("5 repeated in the list", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("5 already in the organization", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Only lines with problems" })).ToBeCheckedAsync();
        await Expect(dialog.GetByRole(AriaRole.Cell, new() { Name = "Not a valid email address" })).ToHaveCountAsync(10);
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the Invite many preview");

        var progress = dialog.GetByRole(AriaRole.Progressbar, new() { Name = "Inviting users", Exact = true });
        await using (await host.Factory.HoldWriterAsync())
        {
            // While the database is busy with another write, the dialog already shows where the invitations are.
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite 280 users", Exact = true }).ClickAsync();
            await Expect(progress).ToHaveAttributeAsync("aria-valuenow", "0");
            await Expect(dialog.GetByText("Inviting… 0 of 280 done.", new() { Exact = true })).ToBeVisibleAsync();
            await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true })).ToBeDisabledAsync();
        }

        var summary = dialog.GetByRole(AriaRole.Status);
        await Expect(summary).ToHaveTextAsync("Invited 280. Skipped 10 duplicates (5 repeated in the list, 5 already in the organization) and 10 invalid lines. 0 failed.");
        await Expect(dialog.GetByText("Done: all 300 lines handled.")).ToBeVisibleAsync();
        await Expect(progress).ToHaveAttributeAsync("aria-valuenow", "100");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        await Portal.SearchField(page).FillAsync(domain);
        await Expect(page.GetByText("1-25 of 280", new() { Exact = true })).ToBeVisibleAsync();
        await Portal.SearchField(page).FillAsync(ready[137]);
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await Expect(Portal.ResendButton(page, ready[137])).ToBeVisibleAsync();
        var mails = await WaitForMailsAsync(ready.Select(e => (e, 1)));
        Assert.All(ready, e => Assert.Single(mails[e]));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Invite_many_from_an_uploaded_csv_names_the_file_marks_the_bad_lines_and_invites_the_rest_with_their_kinds()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Invite Csv");
        var domain = $"csv-{Guid.NewGuid():N}.example";
        string[] ready = [$"ana@{domain}", $"ben@{domain}", $"cho@{domain}"];
        var csv = string.Join(
            "\r\n",
            "email,kind",
            $"{ready[0]},EndUser",
            $"{ready[1]},CustomerEmployee",
            ready[2],
            "not an address,EndUser",
            ready[0].ToUpperInvariant());
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);

        await page.GetByRole(AriaRole.Button, new() { Name = "Invite many", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Invite many users" });
        var chooser = await page.RunAndWaitForFileChooserAsync(
            () => dialog.GetByRole(AriaRole.Button, new() { Name = "Upload CSV", Exact = true }).ClickAsync());
        await chooser.SetFilesAsync(new FilePayload { Name = "people.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });

        await Expect(dialog.GetByText("From people.csv.", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("3 ready to invite", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("1 invalid", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dialog.GetByText("1 repeated in the list", new() { Exact = true })).ToBeVisibleAsync();
        var preview = dialog.GetByRole(AriaRole.Table, new() { Name = "Preview" });
        await Expect(preview.GetByRole(AriaRole.Cell, new() { Name = "Not a valid email address" })).ToHaveCountAsync(1);
        await Expect(preview.GetByRole(AriaRole.Row)).ToHaveCountAsync(3);
        await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Only lines with problems" }).UncheckAsync();
        await Expect(preview.GetByRole(AriaRole.Row)).ToHaveCountAsync(6);
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the Invite many preview of an uploaded file");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite 3 users", Exact = true }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Progressbar, new() { Name = "Inviting users" })).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Invited 3. Skipped 1 duplicate (1 repeated in the list, 0 already in the organization) and 1 invalid line. 0 failed.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        await Portal.SearchField(page).FillAsync(ready[1]);
        await Expect(Portal.ResendButtons(page)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "CustomerEmployee", Exact = true })).ToBeVisibleAsync();
        var mails = await WaitForMailsAsync(ready.Select(e => (e, 1)));
        Assert.All(ready, e => Assert.Single(mails[e]));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task At_phone_width_the_users_page_scrolls_only_inside_its_grid_and_every_control_is_in_reach()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Phone");
        var emails = Enumerable.Range(0, 12).Select(i => $"phone-{i:00}-{Guid.NewGuid():N}@phone.example").ToList();
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;
        await Portal.SignInToUsersAsync(page, admin.Email, admin.Password);
        var newest = emails[^1];
        await Expect(Portal.ResendButton(page, newest)).ToBeVisibleAsync();

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        var controls = new[]
        {
            page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }),
            Portal.SearchField(page),
            page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }),
            page.GetByRole(AriaRole.Button, new() { Name = "Invite many", Exact = true }),
            page.GetByLabel("Pending for more than (days)", new() { Exact = true }),
            page.GetByRole(AriaRole.Button, new() { Name = "Resend to everyone pending longer", Exact = true }),
            page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {newest}", Exact = true }),
            Portal.ResendButton(page, newest),
        };
        foreach (var control in controls)
        {
            await control.ScrollIntoViewIfNeededAsync();
            var box = await control.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"{control} sticks out of the screen: x {box.X}, width {box.Width}");
        }

        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Users page at phone width");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("users-phone.png"), FullPage = true });

        // The row's action works from there.
        await Portal.ResendButton(page, newest).TapAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true }).TapAsync();
        await Expect(page.GetByText($"New code sent to {newest}. It expires ")).ToBeVisibleAsync();
        await host.Smtp.WaitForMessagesAsync(newest, 2);
        session.AssertNoConsoleErrors();
    }

    /// <summary>Waits until each address has at least its number of mails; returns the mails of every address the server has seen, in order.</summary>
    private async Task<Dictionary<string, List<ReceivedMail>>> WaitForMailsAsync(IEnumerable<(string Email, int Count)> expected)
    {
        var wanted = expected.ToList();
        Dictionary<string, List<ReceivedMail>> byAddress = [];
        bool AllArrived() => wanted.All(w => byAddress.TryGetValue(w.Email, out var got) && got.Count >= w.Count);
        try
        {
            await Wait.WaitUntilAsync(
                () =>
                {
                    byAddress = host.Smtp.Messages()
                        .SelectMany(m => m.Message.To.Mailboxes.Select(a => (a.Address, Mail: m)))
                        .GroupBy(x => x.Address, StringComparer.OrdinalIgnoreCase)
                        .ToDictionary(g => g.Key, g => g.Select(x => x.Mail).ToList(), StringComparer.OrdinalIgnoreCase);
                    return Task.FromResult(AllArrived());
                },
                MailDeadline,
                $"{wanted.Count} addresses have their mails");
        }
        catch (TimeoutException ex)
        {
            var missing = wanted.Count(w => !byAddress.TryGetValue(w.Email, out var got) || got.Count < w.Count);
            var outbox = await host.Factory.WithDbAsync(db => db.OutboxMessages.GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync());
            throw new TimeoutException(
                $"{ex.Message} {missing} of them are short; the SMTP server holds {host.Smtp.Messages().Count} messages; outbox: "
                + string.Join(", ", outbox.Select(o => $"{o.Key} {o.Count}")),
                ex);
        }

        return byAddress;
    }

    [GeneratedRegex(@"^Resend to selected \(")]
    private static partial Regex ResendToSelectedName();
}
