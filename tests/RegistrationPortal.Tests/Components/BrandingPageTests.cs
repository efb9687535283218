using Bunit;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using RegistrationPortal.Web.Features.Branding.Pages;

namespace RegistrationPortal.Tests.Components;

public sealed class BrandingPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task A_logo_the_browser_cannot_hand_over_is_refused_with_the_reason_and_the_page_goes_on()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        Bunit.Render<MudSnackbarProvider>();
        var page = RenderInteractive<BrandingPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("#logo-file")), Deadline);

        await new UnreadableFile("logo.png", "image/png", 2_000).ChooseInAsync(page);

        page.WaitForAssertion(() => Assert.Equal(
            "The file could not be read: was it changed or removed after it was chosen? Choose it again.",
            page.Find("[role=alert]").TextContent.Trim()), Deadline);
        Assert.Empty(page.FindAll("img[alt='Current logo']"));
        Assert.False(page.Find("#logo-file").HasAttribute("disabled"), "the upload is offered again");
        Assert.False(await WithDbAsync(db => db.OrganizationBrandings.AnyAsync(b => b.OrgId == org && b.Logo != null)));
    }
}
