using System.Text.Json;
using Microsoft.Playwright;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// Chromium's virtual authenticator, through the DevTools protocol (<c>WebAuthn.enable</c>,
/// <c>WebAuthn.addVirtualAuthenticator</c>): a CTAP2 platform authenticator ("internal") with resident keys and user
/// verification, which answers <c>navigator.credentials.create</c> as a phone's or laptop's would, without a person.
/// </summary>
public sealed class VirtualAuthenticator
{
    private readonly ICDPSession _cdp;

    private VirtualAuthenticator(ICDPSession cdp, string id)
    {
        _cdp = cdp;
        Id = id;
    }

    public string Id { get; }

    /// <summary>
    /// Adds an authenticator to <paramref name="page"/>'s browser; <paramref name="userVerified"/> false makes it fail user
    /// verification, <paramref name="canVerifyUser"/> false makes one that has no way to verify the user at all.
    /// </summary>
    public static async Task<VirtualAuthenticator> AddAsync(IPage page, bool userVerified = true, bool canVerifyUser = true)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new Dictionary<string, object> { ["enableUI"] = false });
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = canVerifyUser,
                ["isUserVerified"] = userVerified,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return new VirtualAuthenticator(cdp, added!.Value.GetProperty("authenticatorId").GetString()!);
    }

    public async Task SetUserVerifiedAsync(bool verified) =>
        await _cdp.SendAsync("WebAuthn.setUserVerified", new Dictionary<string, object> { ["authenticatorId"] = Id, ["isUserVerified"] = verified });

    /// <summary>The credentials the authenticator holds (id as base64, rpId, userHandle, signCount).</summary>
    public async Task<IReadOnlyList<JsonElement>> CredentialsAsync()
    {
        var result = await _cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = Id });
        return [.. result!.Value.GetProperty("credentials").EnumerateArray().Select(c => c.Clone())];
    }
}
