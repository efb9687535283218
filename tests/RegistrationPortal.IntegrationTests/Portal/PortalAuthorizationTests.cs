using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>Who may open which portal page, through the real sign-in form and the real cookie.</summary>
public sealed class PortalAuthorizationTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    public enum Access
    {
        /// <summary>Org admins and platform admins.</summary>
        Admins,

        /// <summary>Platform admins only.</summary>
        PlatformAdmins,
    }

    /// <summary>
    /// Every portal page: its address, the title it renders (prerendered, so a GET shows it) and who may open it.
    /// A new page is one line here.
    /// </summary>
    private static readonly (string Path, string Title, Access Access)[] Table =
    [
        ("/", "Dashboard · RegistrationPortal", Access.Admins),
        ("/users", "Users · RegistrationPortal", Access.Admins),
        ("/users/us-guess-guess-guessguessguess1", "User · Users · RegistrationPortal", Access.Admins),
        ("/applications", "Applications · RegistrationPortal", Access.Admins),
        ("/audit", "Audit · RegistrationPortal", Access.Admins),
        ("/admins", "Admins · RegistrationPortal", Access.Admins),
        ("/organizations", "Organizations · RegistrationPortal", Access.PlatformAdmins),
        ("/dev/mailbox", "Development mailbox · RegistrationPortal", Access.Admins),
        ("/Account/Manage", "Profile", Access.Admins),
    ];

    public static TheoryData<string> Paths => new(Table.Select(page => page.Path));

    public static TheoryData<string, string, Access> Pages
    {
        get
        {
            var data = new TheoryData<string, string, Access>();
            foreach (var (path, title, access) in Table)
            {
                data.Add(path, title, access);
            }

            return data;
        }
    }

    public static TheoryData<string, string> Titles
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (path, title, _) in Table)
            {
                data.Add(path, title);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Anonymous_visitors_are_sent_to_sign_in_with_the_page_to_return_to(string path)
    {
        using var browser = new PortalBrowser(fixture.Factory);

        var visit = await browser.OpenAsync(path);

        Assert.Equal(HttpStatusCode.OK, visit.Status);
        Assert.Equal(PortalBrowser.LoginPath, visit.FinalPath);
        Assert.Equal("Sign in · RegistrationPortal", visit.Title);
        Assert.Contains($"ReturnUrl={Uri.EscapeDataString(path)}", visit.Visited[^1], StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task An_org_admin_opens_the_admin_pages_and_is_refused_the_platform_pages(string path, string title, Access access)
    {
        var orgId = await fixture.Factory.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId);
        using var browser = new PortalBrowser(fixture.Factory);
        await browser.SignInAsync(admin.Email, admin.Password);

        var visit = await browser.OpenAsync(path);

        Assert.Equal(HttpStatusCode.OK, visit.Status);
        if (access == Access.Admins)
        {
            Assert.Equal(title, visit.Title);
        }
        else
        {
            Assert.Equal("/Account/AccessDenied", visit.FinalPath);
            Assert.Equal("Access denied", visit.Title);
        }
    }

    [Theory]
    [MemberData(nameof(Titles))]
    public async Task A_platform_admin_opens_every_page(string path, string title)
    {
        var orgId = await fixture.Factory.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(null, "platform");
        using var browser = new PortalBrowser(fixture.Factory);
        await browser.SignInAsync(admin.Email, admin.Password);
        using (var switched = await browser.PostFormAsync("/portal/organization", new Dictionary<string, string> { ["orgId"] = orgId, ["returnUrl"] = "/" }))
        {
            Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        }

        var visit = await browser.OpenAsync(path);

        Assert.Equal(HttpStatusCode.OK, visit.Status);
        Assert.Equal(title, visit.Title);
    }
}
