using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The platform admin's new-organization form on the demo host: every problem the server finds is shown at once, each
/// under its field and together in a summary; put right, the organization is made and its first admin invited by email.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NewOrganizationFormTests(BrowserFixture browser, DemoBrowserHost host) : IClassFixture<DemoBrowserHost>
{
    private const string PlatformAdminEmail = "platform@registration-portal.example";
    private const string PlatformAdminPassword = "demo-platform-password";

    [Fact]
    public async Task A_taken_name_a_taken_email_and_a_weak_password_are_shown_together_each_beside_its_field_then_the_organization_is_made()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "organizations", PlatformAdminEmail, PlatformAdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "New organization", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Organization name").FillAsync("acme demo");
        await dialog.GetByLabel("First admin's email").FillAsync(DemoBrowserHost.AdminEmail);
        await dialog.GetByLabel("Initial password (optional)").FillAsync("short");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();

        var nameProblem = "An organization named acme demo already exists. Choose another name.";
        var emailProblem = "An admin with this email already exists. Use another address.";
        await Expect(Field(dialog, "Organization name")).ToContainTextAsync(nameProblem);
        await Expect(Field(dialog, "First admin's email")).ToContainTextAsync(emailProblem);
        await Expect(Field(dialog, "Initial password (optional)")).ToContainTextAsync("at least 12 characters");
        var summary = dialog.GetByRole(AriaRole.Alert, new() { Name = "Problems" });
        await Expect(summary).ToContainTextAsync("The organization was not created. Fix these 3 problems");
        await Expect(summary.GetByRole(AriaRole.Listitem)).ToHaveTextAsync([new Regex($"^{Regex.Escape(nameProblem)}$"), new Regex($"^{Regex.Escape(emailProblem)}$"), new Regex("at least 12 characters")]);
        await Expect(dialog.GetByLabel("Organization name")).ToHaveAttributeAsync("aria-invalid", "true");
        await Accessibility.AssertNoSeriousViolationsAsync(dialog, "the new-organization form with its problems");

        // Put right (no password: the admin chooses one from the invitation), it goes through.
        var name = $"Form Widgets {Guid.NewGuid():N}"[..24];
        var email = PortalFactory.NewEmail("form-admin");
        await dialog.GetByLabel("Organization name").FillAsync(name);
        await dialog.GetByLabel("First admin's email").FillAsync(email);
        await dialog.GetByLabel("Initial password (optional)").FillAsync("");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.GetByText($"Created {name}; {email} is emailed an invitation to choose a password.")).ToBeVisibleAsync();
        var invitation = Assert.Single(await host.Smtp.WaitForMessagesAsync(email));
        Assert.Equal($"You are an admin of {name}", invitation.Message.Subject);
        session.AssertNoConsoleErrors();
    }

    /// <summary>The field of that label with its helper or error text under it.</summary>
    private static ILocator Field(ILocator dialog, string label) =>
        dialog.Locator(".mud-input-control").Filter(new() { Has = dialog.Page.GetByLabel(label, new() { Exact = true }) });
}
