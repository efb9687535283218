using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>An org admin makes a service account for a program in the portal, hands its token over, and revokes it.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ServiceAccountsPageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Fact]
    public async Task An_org_admin_creates_a_service_account_whose_token_works_once_shown_and_deactivating_it_stops_the_token()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Service accounts");
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "", admin.Email, admin.Password);
        await page.GetByRole(AriaRole.Link, new() { Name = "Service accounts", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Service accounts", Level = 1 })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "New service account" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync("HR sync");
        await dialog.GetByLabel("Public key (PEM)").FillAsync(RSA.Create(2048).ExportSubjectPublicKeyInfoPem());
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("RSA and Ed25519 keys are not accepted");

        await dialog.GetByLabel("Public key (PEM)").FillAsync(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem());
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("it is shown only this once");
        var token = await dialog.GetByLabel("Token").InputValueAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the new service account's token");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done", Exact = true }).ClickAsync();

        var table = page.GetByRole(AriaRole.Table, new() { Name = "Service accounts" });
        await Expect(table).ToContainTextAsync("HR sync");
        await Expect(table).ToContainTextAsync("Users: read, write");
        await Expect(table).ToContainTextAsync("Active");
        Assert.Equal(HttpStatusCode.OK, await ListUsersAsync(token));
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the Service accounts page");
        await page.ScreenshotAsync(new() { Path = Screenshots.PathFor("service-accounts.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate HR sync", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Deactivate", Exact = true }).ClickAsync();
        await Expect(page.GetByText("HR sync is deactivated.")).ToBeVisibleAsync();
        await Expect(table).ToContainTextAsync("Deactivated");
        Assert.Equal(HttpStatusCode.Unauthorized, await ListUsersAsync(token));
    }

    private async Task<HttpStatusCode> ListUsersAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/users");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }
}
