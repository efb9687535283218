using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Users.Pages;

namespace RegistrationPortal.Tests.Components;

public sealed class UsersPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    /// <summary>Renders the page as the circuit does, or as the prerender before it.</summary>
    private IRenderedComponent<UsersPage> RenderPage(bool interactive = true)
    {
        Bunit.Renderer.SetRendererInfo(interactive ? new RendererInfo("Server", isInteractive: true) : new RendererInfo("Static", isInteractive: false));
        return Bunit.Render<UsersPage>();
    }

    [Fact]
    public async Task Shows_the_pending_users_of_the_admins_organization_only()
    {
        var org = await Portal.CreateOrganizationAsync();
        var other = await Portal.CreateOrganizationAsync("Other Org");
        await Portal.InviteAsync(org, "mine@example.com");
        await Portal.InviteAsync(other, "theirs@example.com");
        SignInAsAdminOf(org);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("mine@example.com", page.Markup), Deadline);
        Assert.DoesNotContain("theirs@example.com", page.Markup);
        Assert.Contains("Pending", page.Markup);
    }

    [Fact]
    public async Task The_creation_date_filter_shows_iso_dates_whatever_the_browsers_language()
    {
        var org = await Portal.CreateOrganizationAsync();
        SignInAsAdminOf(org);
        var page = RenderPage();
        var picker = page.FindComponent<MudDateRangePicker>();

        await page.InvokeAsync(() => picker.Instance.DateRangeChanged.InvokeAsync(new DateRange(new DateTime(2026, 12, 1), new DateTime(2026, 12, 4))));

        // Not the ambiguous 12/04/2026 of an American default: 2026-12-04 reads one way everywhere.
        page.WaitForAssertion(
            () => Assert.Equal(["2026-12-01", "2026-12-04"], picker.FindAll("input").Select(i => i.GetAttribute("value") ?? "").Where(v => v.Length > 0)),
            Deadline);
    }

    [Fact]
    public async Task Pages_through_a_large_organization_25_at_a_time()
    {
        var org = await Portal.CreateOrganizationAsync();
        for (var i = 0; i < 27; i++)
        {
            await Portal.InviteAsync(org, $"user{i:00}@example.com");
        }

        SignInAsAdminOf(org);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("1-25 of 27", page.Markup), Deadline);
        Assert.Equal(25, page.FindAll("button[aria-label^='Resend code to']").Count);
    }

    [Fact]
    public async Task An_organization_with_no_one_pending_says_what_to_do()
    {
        var org = await Portal.CreateOrganizationAsync();
        SignInAsAdminOf(org);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("No one is waiting to register", page.Markup), Deadline);
    }

    [Fact]
    public async Task Until_the_circuit_connects_the_filters_are_disabled_so_no_keystroke_is_lost()
    {
        var org = await Portal.CreateOrganizationAsync();
        SignInAsAdminOf(org);

        var page = RenderPage(interactive: false);

        Assert.True(page.Find("input[aria-label='Search email']").HasAttribute("disabled"));
        Assert.Equal("true", page.Find("[role=combobox][aria-label=Status]").GetAttribute("aria-disabled"));
        Assert.True(page.Find("input[aria-label='Start date']").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Searching_narrows_the_grid_to_matching_emails()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InviteAsync(org, "alice.smith@example.com");
        await Portal.InviteAsync(org, "bob.jones@example.com");
        SignInAsAdminOf(org);
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("bob.jones@example.com", page.Markup), Deadline);

        page.Find("input[aria-label='Search email']").Input("SMITH");

        page.WaitForAssertion(() =>
        {
            Assert.DoesNotContain("bob.jones@example.com", page.Markup);
            Assert.Contains("alice.smith@example.com", page.Markup);
        }, Deadline);
    }

    [Fact]
    public async Task Resend_asks_for_confirmation_then_reports_the_true_outcome()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InviteAsync(org, "carol@example.com");
        SignInAsAdminOf(org);
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("carol@example.com", page.Markup), Deadline);

        // First resend: sent. The click's handler waits for the dialog, so it completes only after the answer.
        var clicking = page.Find("button[aria-label='Resend code to carol@example.com']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Send a new registration code to carol@example.com?", dialogs.Markup), Deadline);
        await ClickDialogButtonAsync(dialogs, "Resend");
        await clicking;
        snackbars.WaitForAssertion(() => Assert.Contains("New code sent to carol@example.com", snackbars.Markup), Deadline);

        // Second within the public doors' cooldown: an admin is not held back by it, and another code goes out.
        clicking = page.Find("button[aria-label='Resend code to carol@example.com']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Send a new registration code", dialogs.Markup), Deadline);
        await ClickDialogButtonAsync(dialogs, "Resend");
        await clicking;
        Assert.Equal(3, await WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.OrgId == org)));
        snackbars.WaitForAssertion(() => Assert.Contains("New code sent to carol@example.com", snackbars.Markup), Deadline);
        Assert.DoesNotMatch("Wait [0-9]+ seconds", snackbars.Markup);
    }

    [Theory]
    [InlineData(true, "erin@example.com has already registered; no code was sent.")]
    [InlineData(false, "erin@example.com is deactivated; no code was sent.")]
    public async Task A_user_who_registered_or_was_deactivated_since_the_page_loaded_gets_no_code_and_the_admin_is_told_why(bool registered, string told)
    {
        var org = await Portal.CreateOrganizationAsync();
        var userId = await Portal.InviteAsync(org, "erin@example.com");
        SignInAsAdminOf(org);
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("erin@example.com", page.Markup), Deadline);

        // Meanwhile, elsewhere: the user completes registration, or another admin deactivates them.
        await WithDbAsync(db => registered
            ? db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.IsRegistered, true))
            : db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.IsActive, false)));
        var codesBefore = await WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.UserId == userId));

        var clicking = page.Find("button[aria-label='Resend code to erin@example.com']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Send a new registration code to erin@example.com?", dialogs.Markup), Deadline);
        await ClickDialogButtonAsync(dialogs, "Resend");
        await clicking;

        snackbars.WaitForAssertion(() => Assert.Contains(told, snackbars.Markup), Deadline);
        Assert.Equal(codesBefore, await WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.UserId == userId)));
    }

    [Fact]
    public async Task Cancelling_the_confirmation_sends_nothing()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InviteAsync(org, "dave@example.com");
        SignInAsAdminOf(org);
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("dave@example.com", page.Markup), Deadline);

        var clicking = page.Find("button[aria-label='Resend code to dave@example.com']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Send a new registration code", dialogs.Markup), Deadline);
        await ClickDialogButtonAsync(dialogs, "Cancel");
        await clicking;

        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Send a new registration code", dialogs.Markup), Deadline);
        Assert.DoesNotContain("New code sent", snackbars.Markup);
    }

    private static Task ClickDialogButtonAsync(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new());
}
