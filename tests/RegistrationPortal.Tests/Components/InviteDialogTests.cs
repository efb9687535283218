using System.Text;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.JSInterop;
using MudBlazor;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Features.Users.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

public sealed class InviteDialogTests(PortalServices portal) : PortalComponentTest(portal)
{
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;
    private IRenderedComponent<MudSnackbarProvider> _snackbars = default!;
    private IRenderedComponent<MudPopoverProvider> _popovers = default!;

    [Fact]
    public async Task Invite_checks_the_address_before_inviting_anyone()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite");

        await ClickButtonAsync(_dialogs, "Invite");
        _dialogs.WaitForAssertion(() => Assert.Contains("Enter the email address of the person to invite.", _dialogs.Markup), Deadline);

        _dialogs.Find("input[aria-label='Email']").Input("nobody at example");
        await ClickButtonAsync(_dialogs, "Invite");
        _dialogs.WaitForAssertion(() => Assert.Contains(UserActionMessages.InvalidEmail, _dialogs.Markup), Deadline);

        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
        Assert.Equal(0, await UserCountAsync(org));
        Assert.DoesNotContain("Invited", _snackbars.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invite_refuses_an_address_the_organization_already_has_and_stays_open()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InviteAsync(org, "dup@example.com");
        var (_, clicking) = await OpenAsync(org, "Invite");

        _dialogs.Find("input[aria-label='Email']").Input("  Dup@Example.com ");
        await ClickButtonAsync(_dialogs, "Invite");

        _dialogs.WaitForAssertion(() => Assert.Contains("Dup@Example.com is already a user of this organization.", _dialogs.Markup), Deadline);
        Assert.Equal(1, await UserCountAsync(org));
        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
    }

    [Fact]
    public async Task Invite_makes_a_pending_user_of_the_chosen_kind_as_the_admin_and_says_so()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (page, clicking) = await OpenAsync(org, "Invite");

        _dialogs.Find("input[aria-label='Email']").Input("newcomer@example.com");
        await _dialogs.Find(".mud-select .mud-input-control").MouseDownAsync(new());
        _popovers.WaitForAssertion(() => Assert.Contains(_popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == nameof(UserKind.CustomerEmployee)), Deadline);
        await _popovers.FindAll(".mud-list-item").Single(i => i.TextContent.Trim() == nameof(UserKind.CustomerEmployee)).ClickAsync(new());
        await ClickButtonAsync(_dialogs, "Invite");
        await clicking;

        _snackbars.WaitForAssertion(() => Assert.Contains("Invited newcomer@example.com. Their code expires", _snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.Contains("newcomer@example.com", page.Markup), Deadline);
        var user = await WithDbAsync(db => db.OrgUsers.SingleAsync(u => u.OrgId == org));
        Assert.Equal((UserKind.CustomerEmployee, true, false), (user.Kind, user.IsActive, user.IsRegistered));
        var code = await WithDbAsync(db => db.RegistrationCodes.SingleAsync(c => c.UserId == user.Id));
        Assert.Equal((ActorKind.Admin, AdminIdOf(org)), (code.IssuedThrough, code.IssuedBy));
        Assert.True(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.UserInvited && a.ActorId == AdminIdOf(org) && a.SubjectId == user.Id)));
    }

    [Fact]
    public async Task The_email_in_the_grid_links_to_the_users_detail_page()
    {
        var org = await Portal.CreateOrganizationAsync();
        var userId = await Portal.InviteAsync(org, "linked@example.com");
        await SignInAsAdminOfAsync(org);

        var page = RenderInteractive<UsersPage>();

        page.WaitForAssertion(() => Assert.Equal($"users/{userId}", page.FindAll("a").Single(a => a.TextContent.Trim() == "linked@example.com").GetAttribute("href")), Deadline);
    }

    [Fact]
    public async Task Invite_many_previews_invalid_repeated_and_existing_lines_with_counts_then_invites_the_rest()
    {
        var org = await Portal.CreateOrganizationAsync();
        var other = await Portal.CreateOrganizationAsync("Other");
        await Portal.InviteAsync(org, "old@example.com");
        await Portal.InviteAsync(other, "elsewhere@example.com");
        var (page, clicking) = await OpenAsync(org, "Invite many");

        Paste(
            "email,kind\nnew1@example.com,EndUser\nnot-an-email,EndUser\nnew2@example.com,Robot\nNEW1@example.com\nold@example.com,CustomerEmployee\nelsewhere@example.com\nnew3@example.com,customer employee\n");
        await ClickButtonAsync(_dialogs, "Preview");

        _dialogs.WaitForAssertion(() => Assert.Contains("3 ready to invite", _dialogs.Markup), Deadline);
        Assert.Contains("2 invalid", _dialogs.Markup, StringComparison.Ordinal);
        Assert.Contains("1 repeated in the list", _dialogs.Markup, StringComparison.Ordinal);
        Assert.Contains("1 already in the organization", _dialogs.Markup, StringComparison.Ordinal);

        // Problems first: only the lines that will not be invited, each with its reason.
        Assert.Equal(
            [
                ["3", "not-an-email", "EndUser", "Not a valid email address"],
                ["4", "new2@example.com", "Robot", "Unknown kind \"Robot\" (use CustomerEmployee or EndUser)"],
                ["5", "NEW1@example.com", "EndUser", "Repeats line 2"],
                ["6", "old@example.com", "CustomerEmployee", "Already in the organization"],
            ],
            PreviewRows());
        _dialogs.Find("input[type='checkbox']").Change(false);
        _dialogs.WaitForAssertion(() => Assert.Equal(7, PreviewRows().Count), Deadline);
        Assert.Equal(["7", "elsewhere@example.com", "EndUser", "Ready"], PreviewRows()[5]);

        await ClickButtonAsync(_dialogs, "Invite 3 users");

        _dialogs.WaitForAssertion(() => Assert.Contains("Invited 3. Skipped 2 duplicates (1 repeated in the list, 1 already in the organization) and 2 invalid lines. 0 failed.", _dialogs.Markup), Deadline);
        Assert.NotNull(_dialogs.Find("[aria-label='Inviting users']"));
        Assert.Contains("Done: all 7 lines handled.", _dialogs.Markup, StringComparison.Ordinal);
        await ClickButtonAsync(_dialogs, "Close");
        await clicking;

        page.WaitForAssertion(() => Assert.Contains("new3@example.com", page.Markup), Deadline);
        var users = await WithDbAsync(db => db.OrgUsers.Where(u => u.OrgId == org).ToDictionaryAsync(u => u.Username, u => u.Kind));
        Assert.Equal(
            new Dictionary<string, UserKind>
            {
                ["old@example.com"] = UserKind.EndUser,
                ["new1@example.com"] = UserKind.EndUser,
                ["elsewhere@example.com"] = UserKind.EndUser,
                ["new3@example.com"] = UserKind.CustomerEmployee,
            },
            users);
        Assert.Equal(3, await WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.OrgId == org && m.ToAddress != "old@example.com")));
    }

    [Fact]
    public async Task Invite_many_reads_an_uploaded_csv_file()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite many");

        _dialogs.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("email,kind\r\nup1@example.com\r\nup2@example.com,CustomerEmployee\r\n", "people.csv"));

        _dialogs.WaitForAssertion(() => Assert.Contains("From people.csv.", _dialogs.Markup), Deadline);
        Assert.Contains("2 ready to invite", _dialogs.Markup, StringComparison.Ordinal);
        Assert.Equal([["2", "up1@example.com", "EndUser", "Ready"], ["3", "up2@example.com", "CustomerEmployee", "Ready"]], PreviewRows());

        await ClickButtonAsync(_dialogs, "Back");
        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
        Assert.Equal(0, await UserCountAsync(org));
    }

    [Fact]
    public async Task Invite_many_says_so_when_the_browser_cannot_hand_over_the_chosen_file_and_stays_usable()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite many");

        await new UnreadableFile("people.csv", "text/csv", 120).ChooseInAsync(_dialogs);

        _dialogs.WaitForAssertion(() => Assert.Contains("The file could not be read: was it changed or removed after it was chosen? Choose it again.", _dialogs.Markup), Deadline);
        Assert.DoesNotContain("From people.csv.", _dialogs.Markup, StringComparison.Ordinal);

        // The same dialog goes on: a pasted list is read.
        Paste("again@example.com\n");
        await ClickButtonAsync(_dialogs, "Preview");
        _dialogs.WaitForAssertion(() => Assert.Contains("1 ready to invite", _dialogs.Markup), Deadline);
        await ClickButtonAsync(_dialogs, "Back");
        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
        Assert.Equal(0, await UserCountAsync(org));
    }

    [Fact]
    public async Task Invite_many_refuses_more_than_ten_thousand_lines_or_a_megabyte_and_says_why()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite many");

        Paste(string.Join('\n', Enumerable.Range(0, InviteListParser.MaxLines + 1).Select(i => $"u{i}@example.com")));
        await ClickButtonAsync(_dialogs, "Preview");
        _dialogs.WaitForAssertion(() => Assert.Contains("The list has more than 10,000 lines.", _dialogs.Markup), Deadline);

        _dialogs.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Encoding.UTF8.GetBytes(new string('a', InviteListParser.MaxBytes) + "@example.com"), "huge.csv"));
        _dialogs.WaitForAssertion(() => Assert.Contains("The list is larger than 1 MB.", _dialogs.Markup), Deadline);

        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
        Assert.Equal(0, await UserCountAsync(org));
    }

    [Fact]
    public async Task Previewing_an_empty_paste_says_there_is_nothing_to_invite()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite many");
        Paste(" \n\n");

        await ClickButtonAsync(_dialogs, "Preview");

        _dialogs.WaitForAssertion(() => Assert.Contains(InviteListParser.EmptyMessage, _dialogs.Markup), Deadline);
        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
    }

    /// <summary>Renders the Users page as the org's admin and clicks <paramref name="button"/>; the click completes when the dialog closes.</summary>
    private async Task<(IRenderedComponent<UsersPage> Page, Task Clicking)> OpenAsync(string orgId, string button)
    {
        await SignInAsAdminOfAsync(orgId);
        _dialogs = Bunit.Render<MudDialogProvider>();
        _snackbars = Bunit.Render<MudSnackbarProvider>();
        _popovers = Bunit.Render<MudPopoverProvider>();
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("button"), b => b.TextContent.Trim() == button), Deadline);
        var clicking = ClickButtonAsync(page, button);
        _dialogs.WaitForAssertion(() => Assert.NotEmpty(_dialogs.FindAll(".mud-dialog")), Deadline);
        return (page, clicking);
    }

    /// <summary>What the browser holds in the paste box; bUnit runs no JavaScript, so the module's answer is given here.</summary>
    /// <summary>The lines left out come back as text to fix and paste again, each with its language, which the list read again keeps.</summary>
    [Fact]
    public async Task The_lines_left_out_are_given_back_with_their_languages_to_paste_again()
    {
        var org = await Portal.CreateOrganizationAsync();
        var (_, clicking) = await OpenAsync(org, "Invite many");

        Paste("email,kind,language\nnot-an-email,EndUser,fr\nok@example.com,EndUser,xx\nfine@example.com,,de\n");
        await ClickButtonAsync(_dialogs, "Preview");

        const string expected = "email,kind,language\nnot-an-email,EndUser,fr\nok@example.com,EndUser,xx";
        _dialogs.WaitForAssertion(() => Assert.Equal(expected, _dialogs.Find("textarea[readonly]").TextContent), Deadline);
        var again = InviteListParser.Parse(expected, UserKind.EndUser);
        Assert.Equal([("not-an-email", "fr", null), ("ok@example.com", null, "xx")], again.Lines.Select(l => (l.Email, l.Language, l.LanguageText)));

        await ClickButtonAsync(_dialogs, "Back");
        await ClickButtonAsync(_dialogs, "Cancel");
        await clicking;
    }

    private void Paste(string text) =>
        Bunit.JSInterop.SetupModule(InviteManyDialog.ModulePath).Setup<IJSStreamReference?>("readText", _ => true).SetResult(new PastedText(text));

    private List<string[]> PreviewRows() =>
        _dialogs.FindAll("[aria-label='Preview'] tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();

    private Task<int> UserCountAsync(string orgId) => WithDbAsync(db => db.OrgUsers.CountAsync(u => u.OrgId == orgId));

    /// <summary>The pasted text as the browser streams it: UTF-8 bytes.</summary>
    private sealed class PastedText(string text) : IJSStreamReference
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);

        public long Length => _bytes.Length;

        public ValueTask<Stream> OpenReadStreamAsync(long maxAllowedSize = 512000, CancellationToken cancellationToken = default) =>
            _bytes.Length > maxAllowedSize
                ? throw new InvalidOperationException($"{_bytes.Length} bytes exceed the {maxAllowedSize} allowed.")
                : ValueTask.FromResult<Stream>(new MemoryStream(_bytes, writable: false));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
