using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Organizations.Pages;

namespace RegistrationPortal.Tests.Components;

public sealed class OrganizationsPageTests : PortalComponentTest
{
    public OrganizationsPageTests(PortalServices portal)
        : base(portal)
    {
        // The host hands each page its antiforgery token from the request; here it is a fixed one.
        Bunit.Services.AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgery());
        var auth = Bunit.AddAuthorization();
        auth.SetAuthorized("platform@example.com");
        auth.SetRoles(PortalRoles.PlatformAdmin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, "platform-admin-1"));
    }

    [Fact]
    public async Task Searching_finds_organizations_by_part_of_the_name_and_each_row_switches_to_its_organization()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var north = await Portal.CreateOrganizationAsync($"Northwind {tag}");
        await Portal.CreateOrganizationAsync($"Contoso {tag}");

        var page = Bunit.Render<OrganizationsPage>();
        await page.Find("input[aria-label='Search name or id']").InputAsync($"NORTHWIND {tag}");

        page.WaitForAssertion(() =>
        {
            Assert.Contains($"Northwind {tag}", page.Markup);
            Assert.DoesNotContain($"Contoso {tag}", page.Markup);
        }, Deadline);
        var form = page.Find($"button[aria-label='Switch to Northwind {tag}']").Closest("form")!;
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal(OrganizationSelectionApi.Path.TrimStart('/'), form.GetAttribute("action"));
        Assert.Equal(north, form.QuerySelector("input[name='orgId']")!.GetAttribute("value"));
        Assert.Equal(FixedAntiforgery.Token, form.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value"));
    }

    [Fact]
    public async Task The_create_dialog_says_what_is_missing_and_creates_nothing_until_it_is_given_and_the_password_may_be_left_empty()
    {
        var before = await Portal.WithDbAsync(db => db.Organizations.CountAsync());
        var dialogs = Bunit.Render<MudDialogProvider>();
        var page = Bunit.Render<OrganizationsPage>();

        var opening = page.FindAll("button").Single(b => b.TextContent.Trim() == "New organization").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Organization name", dialogs.Markup), Deadline);

        await ClickAsync(dialogs, "Create");
        dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Enter the organization's name", Text(dialogs));
            Assert.Contains("Enter the admin's email address", Text(dialogs));
            Assert.Contains("The organization was not created. Fix these 2 problems", Text(dialogs));
        }, Deadline);

        var inputs = dialogs.FindAll("input");
        await inputs[0].InputAsync("Fabrikam");
        await dialogs.FindAll("input")[1].InputAsync("not an email");
        await dialogs.FindAll("input")[2].InputAsync("a long enough initial password");
        await ClickAsync(dialogs, "Create");
        dialogs.WaitForAssertion(() =>
        {
            Assert.DoesNotContain("Enter the organization's name", Text(dialogs));
            Assert.Contains("Enter the admin's email address, like name@example.com.", Text(dialogs));
            Assert.Contains("The organization was not created. Fix this problem", Text(dialogs));
        }, Deadline);

        await ClickAsync(dialogs, "Cancel");
        await opening;
        Assert.Equal(before, await Portal.WithDbAsync(db => db.Organizations.CountAsync()));
    }

    [Fact]
    public async Task The_create_dialog_refuses_a_name_with_a_line_break_or_tab_and_says_so()
    {
        var before = await Portal.WithDbAsync(db => db.Organizations.CountAsync());
        var dialogs = Bunit.Render<MudDialogProvider>();
        var page = Bunit.Render<OrganizationsPage>();

        var opening = page.FindAll("button").Single(b => b.TextContent.Trim() == "New organization").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Organization name", dialogs.Markup), Deadline);

        foreach (var name in new[] { "Fabrikam\r\nInc", "Fabrikam\tInc" })
        {
            await dialogs.FindAll("input")[0].InputAsync(name);
            await dialogs.FindAll("input")[1].InputAsync($"admin-{Guid.NewGuid():N}@example.com");
            await dialogs.FindAll("input")[2].InputAsync("a long enough initial password");
            await ClickAsync(dialogs, "Create");
            dialogs.WaitForAssertion(
                () => Assert.Contains("The organization's name must be one line of text: no line breaks, tabs or other control characters.", Text(dialogs)),
                Deadline);
        }

        await ClickAsync(dialogs, "Cancel");
        await opening;
        Assert.Equal(before, await Portal.WithDbAsync(db => db.Organizations.CountAsync()));
    }

    private static string Text(IRenderedComponent<MudDialogProvider> dialogs) => string.Concat(dialogs.Nodes.Select(n => n.TextContent));

    private static Task ClickAsync(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new());

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public const string Token = "test-antiforgery-token";

        public override AntiforgeryRequestToken? GetAntiforgeryToken() => new(Token, "__RequestVerificationToken");
    }
}
