using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Organizations.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

public sealed class ApplicationsPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    private async Task<string> CreateApplicationAsync(string orgId, string name)
    {
        var outcome = await Portal.Provider.GetRequiredService<OrganizationService>().CreateApplicationAsync(orgId, name, Actor.Operator("test"));
        return outcome.AppId!;
    }

    private Task<List<ApiApplication>> ApplicationsOfAsync(string orgId) => Portal.WithDbAsync(db => db.Applications.AsNoTracking().Where(a => a.OrgId == orgId).ToListAsync());

    [Fact]
    public async Task Lists_the_organizations_applications_with_their_ids_and_nothing_of_another()
    {
        var org = await Portal.CreateOrganizationAsync();
        var other = await Portal.CreateOrganizationAsync("Other Org");
        var mine = await CreateApplicationAsync(org, "Mobile app");
        var theirs = await CreateApplicationAsync(other, "Their app");
        SignInAsAdminOf(org);

        var page = Bunit.Render<ApplicationsPage>();

        page.WaitForAssertion(() => Assert.Contains(mine, page.Markup), Deadline);
        Assert.DoesNotContain(theirs, page.Markup);
        Assert.DoesNotContain("Their app", page.Markup);
        Assert.Single(page.FindAll("button[aria-label='Copy the id of Mobile app']"));
        Assert.Single(page.FindAll("button[aria-label='Deactivate Mobile app']"));
    }

    [Fact]
    public async Task An_organization_without_applications_says_how_to_make_one()
    {
        SignInAsAdminOf(await Portal.CreateOrganizationAsync());

        var page = Bunit.Render<ApplicationsPage>();

        page.WaitForAssertion(() => Assert.Contains("This organization has no API applications yet.", page.Markup), Deadline);
    }

    [Fact]
    public async Task The_create_dialog_refuses_empty_long_and_duplicate_names_and_creates_a_good_one()
    {
        var org = await Portal.CreateOrganizationAsync();
        await CreateApplicationAsync(org, "Web portal");
        SignInAsAdminOf(org);
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = Bunit.Render<ApplicationsPage>();
        page.WaitForAssertion(() => Assert.Contains("Web portal", page.Markup), Deadline);

        var opening = page.FindAll("button").Single(b => b.TextContent.Trim() == "New application").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Create", dialogs.Markup), Deadline);

        await ClickAsync(dialogs, "Create");
        dialogs.WaitForAssertion(() => Assert.Contains("Enter a name for the application.", dialogs.Markup), Deadline);

        await dialogs.Find("input").InputAsync(new string('x', 201));
        await ClickAsync(dialogs, "Create");
        dialogs.WaitForAssertion(() => Assert.Contains("Use at most 200 characters.", dialogs.Markup), Deadline);

        await dialogs.Find("input").InputAsync("WEB PORTAL");
        await ClickAsync(dialogs, "Create");
        dialogs.WaitForAssertion(() => Assert.Contains("The organization already has an application with this name.", dialogs.Markup), Deadline);
        Assert.Single(await ApplicationsOfAsync(org));

        await dialogs.Find("input").InputAsync("  Mobile app ");
        await ClickAsync(dialogs, "Create");
        await opening;

        var created = Assert.Single(await ApplicationsOfAsync(org), a => a.Name == "Mobile app");
        snackbars.WaitForAssertion(() => Assert.Contains($"Created Mobile app. Its id is {created.Id}.", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.Contains(created.Id, page.Markup), Deadline);
        Assert.DoesNotContain("Enter a name", dialogs.Markup);
    }

    [Fact]
    public async Task Deactivate_and_reactivate_ask_first_and_show_the_new_status()
    {
        var org = await Portal.CreateOrganizationAsync();
        var appId = await CreateApplicationAsync(org, "Kiosk");
        SignInAsAdminOf(org);
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = Bunit.Render<ApplicationsPage>();
        page.WaitForAssertion(() => Assert.Contains(appId, page.Markup), Deadline);

        // Cancel: nothing changes.
        var clicking = page.Find("button[aria-label='Deactivate Kiosk']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains($"Deactivate Kiosk? Every API call that sends its id {appId} is refused", dialogs.Markup), Deadline);
        await ClickAsync(dialogs, "Cancel");
        await clicking;
        Assert.True(Assert.Single(await ApplicationsOfAsync(org)).IsActive);

        clicking = page.Find("button[aria-label='Deactivate Kiosk']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Deactivate Kiosk?", dialogs.Markup), Deadline);
        await ClickAsync(dialogs, "Deactivate");
        await clicking;
        snackbars.WaitForAssertion(() => Assert.Contains("Kiosk is deactivated.", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.Single(page.FindAll("button[aria-label='Reactivate Kiosk']")), Deadline);
        Assert.Contains("Deactivated", page.Markup);
        Assert.False(Assert.Single(await ApplicationsOfAsync(org)).IsActive);

        clicking = page.Find("button[aria-label='Reactivate Kiosk']").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Reactivate Kiosk?", dialogs.Markup), Deadline);
        await ClickAsync(dialogs, "Reactivate");
        await clicking;
        page.WaitForAssertion(() => Assert.Single(page.FindAll("button[aria-label='Deactivate Kiosk']")), Deadline);
        Assert.True(Assert.Single(await ApplicationsOfAsync(org)).IsActive);
    }

    private static Task ClickAsync(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new());
}
