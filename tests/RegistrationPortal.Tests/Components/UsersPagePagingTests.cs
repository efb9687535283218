using Bunit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Features.Users.Pages;

namespace RegistrationPortal.Tests.Components;

public sealed class UsersPagePagingTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task Past_the_count_limit_the_pager_says_more_than_and_the_following_pages_still_load()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InsertAsync(org, OrgUserAdminService.CountLimit + 30, i => $"many-{i:00000}@pager.example");
        SignInAsAdminOf(org);

        var page = RenderInteractive<UsersPage>();

        page.WaitForAssertion(() => Assert.Contains("1-25 of more than 10,000", page.Markup), Deadline);
        Assert.Contains("many-10029@pager.example", page.Markup);

        await page.Find("button[aria-label='Next page']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("26-50 of more than 10,025", page.Markup), Deadline);
        Assert.Contains("many-10004@pager.example", page.Markup);

        // The last page within the count reaches past it, where the service counts on and finds the true total.
        await page.Find("button[aria-label='Last page']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("10,026-10,030 of 10,030", page.Markup), Deadline);
        Assert.Contains("many-00000@pager.example", page.Markup);
    }

    [Fact]
    public async Task Changing_the_status_filter_reloads_the_grid_with_that_status()
    {
        var org = await Portal.CreateOrganizationAsync();
        await Portal.InsertAsync(org, 4, i => $"status-{i}@filter.example", status: i => i % 2 == 0 ? UserStatus.Registered : UserStatus.Pending);
        SignInAsAdminOf(org);
        var popovers = Bunit.Render<MudBlazor.MudPopoverProvider>();
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("status-1@filter.example", page.Markup), Deadline);
        Assert.DoesNotContain("status-0@filter.example", page.Markup);

        // Open the Status select as a person does, then pick "Registered" from its list.
        await page.Find("[role=combobox][aria-label='Status']").Closest("div.mud-input-control")!.MouseDownAsync(new());
        popovers.WaitForAssertion(() => Assert.Contains(popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == "Registered"), Deadline);
        await popovers.FindAll(".mud-list-item").Single(i => i.TextContent.Trim() == "Registered").ClickAsync(new());

        page.WaitForAssertion(() =>
        {
            Assert.Contains("status-0@filter.example", page.Markup);
            Assert.DoesNotContain("status-1@filter.example", page.Markup);
        }, Deadline);
    }
}
