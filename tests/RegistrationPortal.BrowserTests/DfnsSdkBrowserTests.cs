using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// A browser client no one here wrote: the published <c>@dfns/sdk-browser</c> 0.6.12 <c>WebAuthnSigner</c> and
/// <c>@dfns/sdk</c>'s client, unchanged, bundled by esbuild from <c>tests/dfns-sdk</c> (installed by <c>npm ci</c> from its
/// lock file), running in Chromium on the host's own origin with the virtual authenticator.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DfnsSdkBrowserTests(BrowserFixture browser, PlainBrowserHost host) : IClassFixture<PlainBrowserHost>
{
    /// <summary>In the page: the SDK's createRegistrationChallenge, the signer's create, the SDK's register.</summary>
    private const string RegisterScript = """
        async ({ baseUrl, orgId, username, code }) => {
            const { WebAuthnSigner, DfnsApiClient } = globalThis.DfnsBrowser;
            const challenge = await new DfnsApiClient({ baseUrl }).auth.createRegistrationChallenge({ body: { username, registrationCode: code, orgId } });
            const signer = new WebAuthnSigner({ relyingParty: { id: challenge.rp.id, name: challenge.rp.name } });
            const firstFactorCredential = await signer.create(challenge);
            const registered = await new DfnsApiClient({ baseUrl, orgId, authToken: challenge.temporaryAuthenticationToken })
                .auth.register({ body: { firstFactorCredential } });
            return { firstFactorCredential, registered };
        }
        """;

    [Fact]
    public async Task The_published_WebAuthnSigner_registers_a_passkey_against_the_host()
    {
        var bundle = await BundleAsync();
        var (orgId, email, userId) = await host.Factory.CreatePendingUserAsync("sdk-browser");
        var code = Mail.Code((await host.Smtp.WaitForMessagesAsync(email))[0]);
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        await VirtualAuthenticator.AddAsync(page);

        // An init script is the browser's own injection: the page's Content-Security-Policy stays as it is.
        await page.AddInitScriptAsync(bundle);
        await page.GotoAsync("register");

        var result = await page.EvaluateAsync<JsonElement>(RegisterScript, new { baseUrl = host.BaseAddress.ToString().TrimEnd('/'), orgId, username = email, code });

        var credential = result.GetProperty("firstFactorCredential");
        Assert.Equal("Fido2", credential.GetProperty("credentialKind").GetString());
        var info = credential.GetProperty("credentialInfo");
        Assert.Equal(["credId", "attestationData", "clientData"], info.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith('$')) /* Playwright's own reference marker */.ToArray());
        var registered = result.GetProperty("registered");
        Assert.Equal("Fido2", registered.GetProperty("credential").GetProperty("kind").GetString());
        Assert.Equal(userId, registered.GetProperty("user").GetProperty("id").GetString());
        Assert.True(await host.Factory.IsRegisteredAsync(userId));
        var stored = Assert.Single(await host.Factory.WithDbAsync(db => db.Credentials.AsNoTracking().Where(c => c.UserId == userId).ToListAsync()));
        Assert.Equal(info.GetProperty("credId").GetString(), stored.CredId);
        session.AssertNoConsoleErrors();
    }

    /// <summary>The signer and client bundled for the browser by esbuild (tests/dfns-sdk/bundle-webauthn-signer.mjs).</summary>
    private static async Task<string> BundleAsync()
    {
        var folder = Path.Combine(Repository.Root, "tests", "dfns-sdk");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@dfns", "sdk-browser")), $"Run npm ci in {folder} first (scripts/test.sh does).");

        // Standard error is left to the console: a redirected, unread-until-exit stderr pipe can stall the process.
        using var node = Process.Start(new ProcessStartInfo("node", "bundle-webauthn-signer.mjs") { WorkingDirectory = folder, RedirectStandardOutput = true })!;
        using var deadline = new CancellationTokenSource(Wait.DefaultTimeout);
        var bundle = await node.StandardOutput.ReadToEndAsync(deadline.Token);
        await node.WaitForExitAsync(deadline.Token);
        Assert.True(node.ExitCode == 0 && bundle.Contains("WebAuthnSigner", StringComparison.Ordinal), $"esbuild failed (exit {node.ExitCode})");
        return bundle;
    }
}
