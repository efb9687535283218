using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// "Forgot password?" as an admin who forgot theirs uses it: the link on the sign-in page, a reset link by email
/// (through the outbox, to the real SMTP server), a new password, and a sign-in with it. Each test makes its own
/// organization.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ForgotPasswordTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private const string NewPassword = "a brand new passphrase";

    [Fact]
    public async Task An_admin_who_forgot_the_password_gets_a_link_by_email_sets_a_new_one_and_signs_in_with_it()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Forgetful Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 1366, height: 850);
        var page = session.Page;
        await page.GotoAsync("Account/Login");
        await page.GetByRole(AriaRole.Link, new() { Name = "Forgot password?", Exact = true }).ClickAsync();

        // The sign-in page has an Email field too: fill the new page's only once it is there.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Forgot your password?", Exact = true })).ToBeVisibleAsync();
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(admin.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a reset link", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(ConfirmationUrl());
        var known = await page.GetByRole(AriaRole.Main).InnerTextAsync();
        Assert.Contains("a link to choose a new password is on its way", known, StringComparison.Ordinal);

        // The mail went through the outbox (its Message-ID names the row), and the request is in the audit trail.
        var mail = Assert.Single(await host.Smtp.WaitForMessagesAsync(admin.Email));
        Assert.StartsWith("outbox-", mail.Message.MessageId, StringComparison.Ordinal);
        Assert.Equal("Reset your RegistrationPortal password", mail.Message.Subject);
        Assert.Equal(1, await host.Factory.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == admin.OrgId && e.Action == AuditActions.AdminPasswordResetRequested)));
        var link = ResetLink().Match(mail.Message.TextBody ?? "");
        Assert.True(link.Success, mail.Message.TextBody);

        await page.GotoAsync(link.Value);
        await Expect(page.GetByLabel("Email", new() { Exact = true })).ToHaveValueAsync(admin.Email);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
        await page.GetByLabel("Confirm the new password", new() { Exact = true }).FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set the new password", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your password is changed" })).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the password-changed page");

        // The link works once.
        await page.GotoAsync(link.Value);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("yet another passphrase");
        await page.GetByLabel("Confirm the new password", new() { Exact = true }).FillAsync("yet another passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set the new password", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This link no longer works" })).ToBeVisibleAsync();

        // The old password no longer signs in; the new one does.
        await Portal.SignInAtAsync(page, "", admin.Email, NewPassword);
        await Expect(page.GetByRole(AriaRole.Banner)).ToContainTextAsync(admin.Email);
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_unknown_address_gets_the_same_answer_and_no_mail()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Quiet Widgets");
        var stranger = PortalFactory.NewEmail("nobody");
        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;

        async Task<string> AskAsync(string email)
        {
            await page.GotoAsync("Account/ForgotPassword");
            await page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Email me a reset link", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(ConfirmationUrl());
            return await page.GetByRole(AriaRole.Main).InnerTextAsync();
        }

        var forStranger = await AskAsync(stranger);
        var forAdmin = await AskAsync(admin.Email);
        Assert.Equal(forAdmin, forStranger);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "the check-your-email page on a phone");

        // The admin's mail arrives; the stranger, asked first, got none.
        await host.Smtp.WaitForMessagesAsync(admin.Email);
        Assert.Empty(host.Smtp.MessagesTo(stranger));
    }

    [GeneratedRegex(@"https?://\S+/Account/ResetPassword\?\S+")]
    private static partial Regex ResetLink();

    [GeneratedRegex("/Account/ForgotPasswordConfirmation")]
    private static partial Regex ConfirmationUrl();
}
