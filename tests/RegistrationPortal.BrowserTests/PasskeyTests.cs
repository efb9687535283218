using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.Web.Shared;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// Passkeys for admins with Chromium's virtual authenticator (a platform authenticator that verifies the user and
/// keeps discoverable credentials, as a phone or a laptop's fingerprint reader does), under the host's real security
/// headers: every page's <c>Referrer-Policy</c> and Content-Security-Policy.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class PasskeyTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    [Fact]
    public async Task An_admin_adds_a_passkey_names_it_and_signs_in_with_it_alone()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Passkey Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        var authenticator = await AddVirtualAuthenticatorAsync(page);

        await SignInToPasskeysAsync(page, admin);
        await Expect(page.GetByText("No passkeys are registered.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a new passkey", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Enter a name for your passkey" })).ToBeVisibleAsync();
        await page.GetByLabel("Passkey name", new() { Exact = true }).FillAsync("Test laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Passkey updated successfully.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Test laptop", Exact = true })).ToBeVisibleAsync();

        // A fresh browser session on the same device: no cookie, only the passkey. The sign-in page first offers the
        // passkey in the email field's autofill (a conditional request that waits for the person to pick it); the
        // authenticator answers nobody until they press the button, as a person would.
        await session.Context.ClearCookiesAsync();
        await authenticator.SetPresenceAsync(false);
        var conditionalOptions = page.WaitForResponseAsync(r => r.Url.EndsWith("/Account/PasskeyRequestOptions", StringComparison.Ordinal));
        await page.GotoAsync("Account/Login");
        Assert.True((await conditionalOptions).Ok);

        // The person ignores the autofill offer (ended here, as leaving the field would) and presses the button.
        await page.EvaluateAsync("() => document.querySelector('passkey-submit').abortController?.abort()");
        await authenticator.SetPresenceAsync(true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey", Exact = true }).ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(LoginUrl());
        await Portal.WaitForCircuitAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();

        // Removed again; each change to the admin's passkeys is in the organization's audit trail, the admin as actor.
        await page.GotoAsync("Account/Manage/Passkeys");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Passkey deleted successfully.")).ToBeVisibleAsync();
        Assert.Equal(
            [$"{AuditActions.AdminPasskeyAdded} ", $"{AuditActions.AdminPasskeyRenamed} named \"Test laptop\"", $"{AuditActions.AdminPasskeyRemoved} Test laptop"],
            await host.Factory.WithDbAsync(db => db.AuditEvents
                .Where(e => e.OrgId == admin.OrgId && e.Action.StartsWith("admin.passkey") && e.ActorKind == nameof(ActorKind.Admin) && e.ActorId == e.SubjectId)
                .OrderBy(e => e.Id)
                .Select(e => e.Action + " " + e.Details)
                .ToListAsync()));
        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_passkey_request_options_never_tell_whether_an_admin_has_a_passkey()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Quiet Widgets");
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        var authenticator = await AddVirtualAuthenticatorAsync(page);
        await SignInToPasskeysAsync(page, admin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a new passkey", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Enter a name for your passkey" })).ToBeVisibleAsync();

        // Nobody answers the sign-in page's passkey autofill: the page stays put while the options are asked for.
        await authenticator.SetPresenceAsync(false);
        await session.Context.ClearCookiesAsync();
        await page.GotoAsync("Account/Login");
        var withPasskey = await RequestOptionsAsync(page, admin.Email);
        var unknown = await RequestOptionsAsync(page, "nobody@example.com");

        // The options a stranger gets for an admin with a passkey and for nobody at all are alike: no credential ids,
        // the browser offers the device's discoverable passkeys.
        foreach (var options in new[] { withPasskey, unknown })
        {
            Assert.True(
                !options.TryGetProperty("allowCredentials", out var allowed) || allowed.GetArrayLength() == 0,
                $"The options name credentials: {options}");
        }

        Assert.Equal(Shape(withPasskey), Shape(unknown));
    }

    /// <summary>Signs in with the password on the way to the (static) Passkeys page.</summary>
    private static async Task SignInToPasskeysAsync(IPage page, OrgAdmin admin)
    {
        await page.GotoAsync("Account/Manage/Passkeys");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(admin.Email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(admin.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Manage your passkeys" })).ToBeVisibleAsync();
    }

    /// <summary>What <c>/Account/PasskeyRequestOptions</c> answers for <paramref name="username"/>, asked as the sign-in page's script asks.</summary>
    private static async Task<JsonElement> RequestOptionsAsync(IPage page, string username)
    {
        var json = await page.EvaluateAsync<string>(
            """
            async (username) => {
                const submit = document.querySelector('passkey-submit');
                const response = await fetch('/Account/PasskeyRequestOptions?username=' + encodeURIComponent(username), {
                    method: 'POST',
                    credentials: 'include',
                    headers: { [submit.getAttribute('request-token-name')]: submit.getAttribute('request-token-value') },
                });
                if (!response.ok) throw new Error('status ' + response.status);
                return await response.text();
            }
            """,
            username);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>The property names and array lengths, without the random challenge.</summary>
    private static string Shape(JsonElement options) => string.Join(
        ",",
        options.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.Array ? $"{p.Name}[{p.Value.GetArrayLength()}]" : p.Name));

    /// <summary>A platform authenticator on this page's browser target that verifies the user and answers at once.</summary>
    private static async Task<VirtualAuthenticator> AddVirtualAuthenticatorAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new() { ["enableUI"] = false });
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new()
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return new VirtualAuthenticator(cdp, added!.Value.GetProperty("authenticatorId").GetString()!);
    }

    private sealed record VirtualAuthenticator(ICDPSession Cdp, string Id)
    {
        /// <summary>Whether the authenticator answers by itself, as if the person touched it.</summary>
        public async Task SetPresenceAsync(bool present) => await Cdp.SendAsync(
            "WebAuthn.setAutomaticPresenceSimulation",
            new() { ["authenticatorId"] = Id, ["enabled"] = present });
    }

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();
}
