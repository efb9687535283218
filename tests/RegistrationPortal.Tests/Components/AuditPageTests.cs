using System.Security.Claims;
using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit.Pages;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

public sealed class AuditPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    /// <summary>An organization whose trail holds the system's creation and invitation, then an admin creating and deactivating an application.</summary>
    private async Task<(string OrgId, string AdminEmail)> OrganizationWithHistoryAsync()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InviteAsync(org, $"user-{Guid.NewGuid():N}@example.com");
        var adminId = Guid.NewGuid().ToString();
        var email = $"boss-{Guid.NewGuid():N}@example.com";
        await Portal.WithDbAsync(async db =>
        {
            db.Users.Add(new PortalUser { Id = adminId, UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(), OrgId = org });
            return await db.SaveChangesAsync();
        });

        SignInAs(adminId, email, org);
        var scope = AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, adminId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, org)], "test")))!;
        var applications = Portal.Provider.GetRequiredService<ApplicationAdminService>();
        var created = await applications.CreateAsync(scope, "Kiosk", "203.0.113.9");
        await applications.DeactivateAsync(scope, created.Application!.Id, "203.0.113.9");
        return (org, email);
    }

    private void SignInAs(string adminId, string email, string orgId)
    {
        var auth = Bunit.AddAuthorization();
        auth.SetAuthorized(email);
        auth.SetRoles(PortalRoles.OrgAdmin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, adminId), new Claim(PortalRoles.OrgClaim, orgId));
    }

    private static List<string> Actions(IRenderedComponent<AuditPage> page) =>
        page.FindAll("tbody tr").Select(r => r.Children.ElementAtOrDefault(1)?.TextContent.Trim() ?? "").Where(a => a.Length > 0).ToList();

    [Fact]
    public async Task Shows_the_organizations_events_newest_first_with_the_admin_by_email()
    {
        var (_, email) = await OrganizationWithHistoryAsync();

        var page = Bunit.Render<AuditPage>();

        page.WaitForAssertion(() => Assert.Equal(
            [AuditActions.ApplicationDeactivated, AuditActions.ApplicationCreated, AuditActions.CodeSent, AuditActions.UserInvited, AuditActions.OrganizationCreated],
            Actions(page)), Deadline);
        var newest = page.FindAll("tbody tr")[0];
        Assert.Contains(email, newest.TextContent);
        Assert.Contains("from 203.0.113.9", newest.TextContent);
        Assert.Contains("Application Kiosk", newest.TextContent);
        Assert.Contains("System (test)", page.FindAll("tbody tr")[^1].TextContent);

        // The user an event is about is a link to their page.
        var invited = page.FindAll("tbody tr")[3];
        var subject = invited.QuerySelector("a[href^='users/us-']");
        Assert.NotNull(subject);
        Assert.Contains("@example.com", subject.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_action_filter_lists_the_known_actions_and_narrows_the_grid()
    {
        await OrganizationWithHistoryAsync();
        var popovers = Bunit.Render<MudPopoverProvider>();
        var page = Bunit.Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Equal(5, Actions(page).Count), Deadline);

        await OpenSelectAsync(page, "Action");
        popovers.WaitForAssertion(() => Assert.Equal(AuditActions.All.Count + 1, Items(popovers).Count), Deadline);
        // Words, not ids: "Code sent", "Application created".
        Assert.Equal(["All actions", .. AuditActions.All.Select(AuditText.ActionLabel)], Items(popovers).Select(i => i.TextContent.Trim()));
        Assert.Contains("Code sent", Items(popovers).Select(i => i.TextContent.Trim()));
        Assert.DoesNotContain(Items(popovers), i => i.TextContent.Contains('.', StringComparison.Ordinal));
        await Items(popovers).Single(i => i.TextContent.Trim() == "Application created").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal([AuditActions.ApplicationCreated], Actions(page)), Deadline);
    }

    [Fact]
    public async Task The_actor_filters_narrow_by_admin_email_and_by_kind()
    {
        var (_, email) = await OrganizationWithHistoryAsync();
        var popovers = Bunit.Render<MudPopoverProvider>();
        var page = Bunit.Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Equal(5, Actions(page).Count), Deadline);

        await page.Find("input[aria-label='Actor id or admin email']").InputAsync(email[..12].ToUpperInvariant());
        page.WaitForAssertion(() => Assert.Equal([AuditActions.ApplicationDeactivated, AuditActions.ApplicationCreated], Actions(page)), Deadline);

        await page.Find("input[aria-label='Actor id or admin email']").InputAsync("");
        page.WaitForAssertion(() => Assert.Equal(5, Actions(page).Count), Deadline);
        await OpenSelectAsync(page, "Actor kind");
        popovers.WaitForAssertion(() => Assert.Contains(Items(popovers), i => i.TextContent.Trim() == "System"), Deadline);
        await Items(popovers).Single(i => i.TextContent.Trim() == "System").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal([AuditActions.CodeSent, AuditActions.UserInvited, AuditActions.OrganizationCreated], Actions(page)), Deadline);
    }

    [Fact]
    public async Task A_date_range_that_holds_no_event_says_so()
    {
        await OrganizationWithHistoryAsync();
        var page = Bunit.Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Equal(5, Actions(page).Count), Deadline);

        // What the picker reports once a person has chosen two days in its calendar.
        var picker = page.FindComponent<MudDateRangePicker>();
        await picker.InvokeAsync(() => picker.Instance.DateRangeChanged.InvokeAsync(new DateRange(new DateTime(2001, 1, 1), new DateTime(2001, 1, 31))));

        page.WaitForAssertion(() => Assert.Contains("No event matches. Clear or change the filters.", page.Markup), Deadline);
    }

    [Fact]
    public async Task Opening_an_event_shows_all_of_it()
    {
        var (_, email) = await OrganizationWithHistoryAsync();
        var dialogs = Bunit.Render<MudDialogProvider>();
        var page = Bunit.Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Equal(5, Actions(page).Count), Deadline);

        await page.FindAll("button[aria-label^='Open event']")[0].ClickAsync(new());

        dialogs.WaitForAssertion(() =>
        {
            Assert.Contains(AuditActions.ApplicationDeactivated, dialogs.Markup);
            Assert.Contains($"{email} (Admin, ", dialogs.Markup);
            Assert.Contains("203.0.113.9", dialogs.Markup);
            Assert.Contains("Application Kiosk (ap-", dialogs.Markup);
        }, Deadline);
    }

    /// <summary>Opens a select the way a pointer does (MudSelect opens on mouse-down on its control).</summary>
    private static Task OpenSelectAsync(IRenderedComponent<AuditPage> page, string label) =>
        page.Find($"[role='combobox'][aria-label='{label}']").Closest(".mud-input-control")!.MouseDownAsync(new());

    private static List<IElement> Items(IRenderedComponent<MudPopoverProvider> popovers) =>
        popovers.FindAll(".mud-list-item").ToList();
}
