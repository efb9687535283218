using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The register page in a real browser with Chromium's virtual authenticator, reached the way a person reaches it: from
/// the link in their invitation email.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class RegisterPageTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    private const string WrongCode = "This code does not work: it may be mistyped, or a newer code replaced it. Check your latest email, or send a new code below.";

    [Fact]
    public async Task From_the_invitation_the_person_creates_a_passkey_and_is_registered_and_a_later_resend_sends_nothing()
    {
        var (orgId, email, userId) = await host.Factory.CreatePendingUserAsync("passkey-whole");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        var code = Mail.Code(invitation);
        var link = Mail.RegisterLink(invitation);
        Assert.Equal(host.BaseAddress.Authority, link.Authority);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        var authenticator = await VirtualAuthenticator.AddAsync(page);

        await page.GotoAsync(link.ToString());

        await Expect(page).ToHaveTitleAsync("Register with a passkey · RegistrationPortal");
        await Expect(EmailField(page)).ToHaveValueAsync(email);
        await Expect(OrgIdField(page)).ToHaveValueAsync(orgId);
        await Expect(CodeField(page)).ToBeFocusedAsync();
        Assert.False(await host.Factory.IsRegisteredAsync(userId), "opening the page changes nothing");

        // Pasted as a person might: lower case, without the dashes.
        await CodeField(page).FillAsync(code.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant());
        var completion = page.WaitForRequestAsync(r => r.Method == "POST" && r.Url.EndsWith("/auth/registration", StringComparison.Ordinal));
        await CreateButton(page).ClickAsync();

        await Expect(page).ToHaveURLAsync(RegisteredUrl());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You are registered" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "What happens next" })).ToBeVisibleAsync();

        // The passkey the authenticator holds is the one stored, with what a relying party keeps of it.
        var held = Assert.Single(await authenticator.CredentialsAsync());
        var heldId = System.Buffers.Text.Base64Url.EncodeToString(Convert.FromBase64String(held.GetProperty("credentialId").GetString()!));
        Assert.Equal("localhost", held.GetProperty("rpId").GetString());
        Assert.Equal(userId, Encoding.UTF8.GetString(Convert.FromBase64String(held.GetProperty("userHandle").GetString()!)));
        var stored = Assert.Single(await host.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));
        Assert.Equal("Fido2", stored.Kind);
        Assert.Equal("Passkey", stored.Name);
        Assert.Equal(heldId, stored.CredId);
        Assert.NotNull(stored.PublicKeyCose);
        Assert.Null(stored.PublicKeyPem);
        Assert.NotNull(stored.Aaguid);
        Assert.Equal("packed", stored.AttestationFormat);
        Assert.Equal("internal", stored.Transports);
        Assert.True(await host.Factory.IsRegisteredAsync(userId));
        Assert.Empty(await host.Factory.ValidCodesAsync(userId));
        Assert.Contains(await host.Factory.AllCodesAsync(userId), c => c.UsedAt is not null);
        var audit = await host.Factory.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.SubjectId == userId && e.Action == "registration.completed"));
        Assert.Equal(nameof(ActorKind.SelfService), audit.ActorKind);
        Assert.Equal(Actor.RegisterPageDoor, audit.ActorId);

        // A second try with the same token (the page's own request, replayed) changes nothing.
        var sent = await completion;
        using (var replay = new HttpRequestMessage(HttpMethod.Post, "/auth/registration") { Content = new StringContent(sent.PostData!, Encoding.UTF8, "application/json") })
        {
            replay.Headers.TryAddWithoutValidation("Authorization", (await sent.AllHeadersAsync())["authorization"]);
            using var again = await host.Http.SendAsync(replay);
            await DfnsApi.AssertErrorAsync(again, HttpStatusCode.Unauthorized, "Not Authorized.");
        }

        Assert.Single(await host.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));

        // The code, used, now says who it belonged to.
        await page.GotoAsync(link.ToString());
        await CodeField(page).FillAsync(code);
        await CreateButton(page).ClickAsync();
        await Expect(ErrorBox(page)).ToHaveTextAsync("You are already registered with this code. Sign in with your passkey: you need no new code.");

        // A resend for the registered user: the neutral answer, and no mail.
        await Wait.WaitUntilAsync(() => host.Factory.OutboxDrainedAsync(userId), "the invitation is handled");
        await DfnsApi.AssertSuccessAsync(await host.Http.ResendAsync(orgId, email));
        await host.Factory.PublicRequestsResolvedAsync();
        Assert.Single(await host.Factory.OutboxAsync(userId));
        Assert.Single(host.Smtp.MessagesTo(email));
        AssertNoConsoleErrorsButRefusals(session);
    }

    [Fact]
    public async Task The_resend_offer_sends_a_new_code_and_the_old_one_is_refused_with_the_offer()
    {
        var (orgId, email, userId) = await host.Factory.CreatePendingUserAsync("passkey-resend");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        var oldCode = Mail.Code(invitation);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync(Mail.RegisterLink(invitation).ToString());

        await SendNewCodeButton(page).ClickAsync();

        await Expect(StatusBox(page)).ToHaveTextAsync(SelfServiceResendDoor.Confirmation);
        await Expect(EmailField(page)).ToHaveValueAsync(email);
        var mails = await host.Smtp.WaitForMessagesAsync(email, 2);
        var newCode = Mail.Code(mails[^1]);
        Assert.NotEqual(oldCode, newCode);

        await CodeField(page).FillAsync(oldCode);
        await CreateButton(page).ClickAsync();
        await Expect(ErrorBox(page)).ToHaveTextAsync(WrongCode);
        await Expect(CodeField(page)).ToBeFocusedAsync();
        await Expect(CodeField(page)).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(SendNewCodeButton(page)).ToBeVisibleAsync();
        await host.Factory.AssertUnchangedAsync(userId);

        await CodeField(page).FillAsync(newCode);
        await CreateButton(page).ClickAsync();
        await Expect(page).ToHaveURLAsync(RegisteredUrl());
        Assert.True(await host.Factory.IsRegisteredAsync(userId));
        AssertNoConsoleErrorsButRefusals(session);
    }

    [Fact]
    public async Task An_expired_code_says_so_and_offers_a_new_one()
    {
        var (_, email, userId) = await host.Factory.CreatePendingUserAsync("passkey-expired");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        var past = DateTimeOffset.UtcNow.AddMinutes(-1);
        await host.Factory.WithDbAsync(db => db.RegistrationCodes.Where(c => c.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, past)));
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);
        await page.GotoAsync(Mail.RegisterLink(invitation).ToString());

        await CodeField(page).FillAsync(Mail.Code(invitation));
        await CreateButton(page).ClickAsync();

        await Expect(ErrorBox(page)).ToHaveTextAsync("This code has expired. Send a new code below: it arrives by email and replaces this one.");
        await Expect(SendNewCodeButton(page)).ToBeVisibleAsync();
        await host.Factory.AssertUnchangedAsync(userId);
        AssertNoConsoleErrorsButRefusals(session);
    }

    [Fact]
    public async Task When_the_authenticator_refuses_the_page_says_so_and_a_second_try_works()
    {
        var (_, email, userId) = await host.Factory.CreatePendingUserAsync("passkey-refused");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        var authenticator = await VirtualAuthenticator.AddAsync(page, userVerified: false);
        await page.GotoAsync(Mail.RegisterLink(invitation).ToString());
        await CodeField(page).FillAsync(Mail.Code(invitation));

        await CreateButton(page).ClickAsync();

        await Expect(ErrorBox(page)).ToHaveTextAsync("No passkey was created: the request was cancelled or timed out, or your device refused it. Press Create passkey to try again.");
        // The button had the focus and was disabled while the page worked: the focus is back on it, not lost to the page.
        await Expect(CreateButton(page)).ToBeFocusedAsync();
        await Expect(CreateButton(page)).ToBeEnabledAsync();
        await host.Factory.AssertUnchangedAsync(userId);

        await authenticator.SetUserVerifiedAsync(true);
        await CreateButton(page).ClickAsync();
        await Expect(page).ToHaveURLAsync(RegisteredUrl());
        Assert.True(await host.Factory.IsRegisteredAsync(userId));
    }

    [Fact]
    public async Task A_browser_without_WebAuthn_is_told_at_once()
    {
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await page.AddInitScriptAsync("delete window.PublicKeyCredential;");

        await page.GotoAsync("register");

        await Expect(ErrorBox(page)).ToHaveTextAsync(new Regex("^This browser cannot create passkeys\\."));
        AssertNoConsoleErrorsButRefusals(session);
    }

    [Fact]
    public async Task The_page_is_accessible_in_light_and_dark_and_fits_a_phone()
    {
        var (orgId, email, _) = await host.Factory.CreatePendingUserAsync("passkey-a11y");
        var invitation = (await host.Smtp.WaitForMessagesAsync(email))[0];
        await using (var session = await browser.OpenAsync(host.BaseAddress))
        {
            var page = session.Page;
            await VirtualAuthenticator.AddAsync(page);
            await page.GotoAsync(Mail.RegisterLink(invitation).ToString());
            await Expect(OrgIdField(page)).ToHaveValueAsync(orgId);
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the register page");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor("register.png"), FullPage = true });

            await CodeField(page).FillAsync("K7QH-3MZP-W9XD-R2TF");
            await CreateButton(page).ClickAsync();
            await Expect(ErrorBox(page)).ToHaveTextAsync(WrongCode);
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the register page with an error");

            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the register page, dark, with an error");
            AssertNoConsoleErrorsButRefusals(session);
        }

        await using (var phone = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true))
        {
            var page = phone.Page;
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
            await VirtualAuthenticator.AddAsync(page);
            await page.GotoAsync(Mail.RegisterLink(invitation).ToString());
            await Expect(OrgIdField(page)).ToHaveValueAsync(orgId);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
            foreach (var control in new[] { EmailField(page), OrgIdField(page), CodeField(page), CreateButton(page), SendNewCodeButton(page) })
            {
                var box = await control.BoundingBoxAsync();
                Assert.NotNull(box);
                Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"a control sticks out of the screen: x {box.X}, width {box.Width}");
                Assert.True(box.Height >= 24, $"a control is too small to tap: height {box.Height}");
            }

            await Accessibility.AssertNoSeriousViolationsAsync(page, "the register page on a phone, dark");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor("register-phone-dark.png"), FullPage = true });

            await CodeField(page).FillAsync(Mail.Code(invitation));
            await CreateButton(page).TapAsync();
            await Expect(page).ToHaveURLAsync(RegisteredUrl());
            await Accessibility.AssertNoSeriousViolationsAsync(page, "the confirmation on a phone, dark");
            AssertNoConsoleErrorsButRefusals(phone);
        }
    }

    /// <summary>
    /// No console error but the browser's own note of an API call the host refused (a wrong code's 401 is an answer the
    /// page handles, and Chromium logs every 4xx fetch).
    /// </summary>
    private static void AssertNoConsoleErrorsButRefusals(BrowserSession session)
    {
        var errors = session.ConsoleErrors
            .Where(e => !(e.StartsWith("console error: Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)
                && e.Contains("/auth/registration", StringComparison.Ordinal)))
            .ToList();
        Assert.True(errors.Count == 0, "The page reported errors:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }

    private static ILocator EmailField(IPage page) => page.GetByLabel("Email", new() { Exact = true });

    private static ILocator OrgIdField(IPage page) => page.GetByLabel("Organization id", new() { Exact = true });

    private static ILocator CodeField(IPage page) => page.GetByLabel("Registration code", new() { Exact = true });

    private static ILocator CreateButton(IPage page) => page.GetByRole(AriaRole.Button, new() { Name = "Create passkey", Exact = true });

    private static ILocator SendNewCodeButton(IPage page) => page.GetByRole(AriaRole.Button, new() { Name = "Send a new code", Exact = true });

    private static ILocator ErrorBox(IPage page) => page.Locator("#register-error[role=alert]");

    private static ILocator StatusBox(IPage page) => page.Locator("#register-status[role=status]");

    [GeneratedRegex("/register/registered$")]
    private static partial Regex RegisteredUrl();
}
