using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Components.Account;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// What an admin changes on their own account, through the account pages as a browser posts them: a new password, an
/// authenticator turned on, new recovery codes, a recovery code used to sign in, a lockout by wrong second-factor codes
/// (once, not for each try after it), two-factor turned off, the authenticator's key reset. Each is in the
/// organization's audit trail, the admin as actor and subject (before, only the log had them). And the pages around
/// them answer a person who arrives the wrong way (a lapsed sign-in, a page for two-factor when it is off, a hand-edited
/// address) with a page, not an error.
/// </summary>
public sealed partial class AccountPagesTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task Every_change_an_admin_makes_to_their_own_sign_in_is_audited()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId, "own-account");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        const string newPassword = "a brand new passphrase";
        Assert.NotNull(await PostPageAsync(browser, "/Account/Manage/ChangePassword", new()
        {
            ["Input.OldPassword"] = admin.Password,
            ["Input.NewPassword"] = newPassword,
            ["Input.ConfirmPassword"] = newPassword,
        }));

        var setUp = await browser.OpenAsync("/Account/Manage/EnableAuthenticator");
        var key = Base32(SharedKey().Match(setUp.Body).Groups[1].Value);
        var enabled = await PostPageAsync(browser, "/Account/Manage/EnableAuthenticator", new() { ["Input.Code"] = Totp(key) });
        Assert.Equal(10, RecoveryCode().Count(enabled!));

        var regenerated = await PostPageAsync(browser, "/Account/Manage/GenerateRecoveryCodes", []);
        Assert.Equal(10, RecoveryCode().Count(regenerated!));
        var recoveryCode = RecoveryCode().Match(regenerated!).Groups[1].Value;

        // Another browser: the password, then a recovery code instead of the app.
        using (var other = new PortalBrowser(Host))
        {
            using var signIn = await other.SubmitSignInAsync(admin.Email, newPassword);
            Assert.Equal("/Account/LoginWith2fa", PortalBrowser.RedirectPath(signIn));
            using var recovered = await other.SubmitPageAsync("/Account/LoginWithRecoveryCode", new Dictionary<string, string> { ["Input.RecoveryCode"] = recoveryCode });
            Assert.Equal(HttpStatusCode.Redirect, recovered.StatusCode);
        }

        // A third: wrong codes until the account locks, and one more while it is locked.
        using (var stranger = new PortalBrowser(Host))
        {
            using var signIn = await stranger.SubmitSignInAsync(admin.Email, newPassword);
            Assert.Equal("/Account/LoginWith2fa", PortalBrowser.RedirectPath(signIn));
            var answers = new List<string?>();
            for (var attempt = 0; attempt <= AdminPortalFixture.MaxFailedAccessAttempts; attempt++)
            {
                using var wrong = await stranger.SubmitPageAsync("/Account/LoginWith2fa", new Dictionary<string, string> { ["Input.TwoFactorCode"] = "000000" == Totp(key) ? "111111" : "000000" });
                answers.Add(PortalBrowser.RedirectPath(wrong));
            }

            Assert.Equal([null, null, "/Account/Lockout", "/Account/Lockout"], answers);
        }

        // The first browser is still signed in (turning two-factor on renewed its sign-in with the new security stamp).
        Assert.Equal("/Account/Manage/TwoFactorAuthentication", await PostPageAsync(browser, "/Account/Manage/Disable2fa", []));
        Assert.Equal("/Account/Manage/EnableAuthenticator", await PostPageAsync(browser, "/Account/Manage/ResetAuthenticator", []));

        // Back on the pages that need two-factor on: told so on the two-factor page, not an error page.
        foreach (var path in new[] { "/Account/Manage/Disable2fa", "/Account/Manage/GenerateRecoveryCodes" })
        {
            var back = await browser.OpenAsync(path);
            Assert.Equal(HttpStatusCode.OK, back.Status);
            Assert.Equal("/Account/Manage/TwoFactorAuthentication", back.FinalPath);
        }

        var trail = await Host.WithDbAsync(db => db.AuditEvents
            .Where(e => e.OrgId == orgId && e.SubjectId == admin.Id && e.ActorKind == nameof(ActorKind.Admin) && e.ActorId == admin.Id)
            .OrderBy(e => e.Id)
            .Select(e => e.Action + (e.Details == null ? "" : ": " + e.Details))
            .ToListAsync());
        Assert.Equal(
            [
                AuditActions.AdminPasswordChanged,
                AuditActions.AdminTwoFactorEnabled,
                AuditActions.AdminRecoveryCodesGenerated,
                AuditActions.AdminRecoveryCodesGenerated,
                AuditActions.AdminRecoveryCodeUsed + ": 9 left",
                AuditActions.AdminLockedOut + ": wrong authenticator codes",
                AuditActions.AdminTwoFactorDisabled,
                AuditActions.AdminAuthenticatorReset,
            ],
            trail);
    }

    [Fact]
    public async Task A_change_whose_audit_event_the_database_refuses_is_not_made_and_the_admin_is_told()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId, "refused-event");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        // The audit trail refuses this admin's events, as a full disk or a broken table would refuse them (a trigger's
        // text takes no parameters; the id is the host's own).
        var refuse = $"CREATE TRIGGER refuse_admin_events BEFORE INSERT ON AuditEvents WHEN NEW.SubjectId = '{admin.Id}' BEGIN SELECT RAISE(ABORT, 'refused'); END";
        await Host.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(refuse));
        string? answer;
        try
        {
            answer = await PostPageAsync(browser, "/Account/Manage/ChangePassword", new()
            {
                ["Input.OldPassword"] = admin.Password,
                ["Input.NewPassword"] = "a password never saved",
                ["Input.ConfirmPassword"] = "a password never saved",
            });
        }
        finally
        {
            await Host.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DROP TRIGGER refuse_admin_events"));
        }

        Assert.Contains(WebUtility.HtmlEncode(AccountAudit.NotSaved), answer);

        // The password is the one it was: the change went with its refused event.
        using (var withOld = new PortalBrowser(Host))
        {
            using var signIn = await withOld.SubmitSignInAsync(admin.Email, admin.Password);
            Assert.Equal("/", PortalBrowser.RedirectPath(signIn));
        }

        using (var withNew = new PortalBrowser(Host))
        {
            using var signIn = await withNew.SubmitSignInAsync(admin.Email, "a password never saved");
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        // The refused event is not saved later either; the next change is saved, with its own event.
        const string newPassword = "the password that was saved";
        Assert.Equal("/Account/Manage/ChangePassword", await PostPageAsync(browser, "/Account/Manage/ChangePassword", new()
        {
            ["Input.OldPassword"] = admin.Password,
            ["Input.NewPassword"] = newPassword,
            ["Input.ConfirmPassword"] = newPassword,
        }));
        var trail = await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.SubjectId == admin.Id && e.ActorId == admin.Id).Select(e => e.Action).ToListAsync());
        Assert.Equal([AuditActions.AdminPasswordChanged], trail);
    }

    [Theory]
    [InlineData("/Account/LoginWith2fa")]
    [InlineData("/Account/LoginWithRecoveryCode")]
    public async Task A_second_factor_page_opened_without_a_sign_in_under_way_leads_back_to_sign_in(string path)
    {
        using var browser = new PortalBrowser(Host);
        var visit = await browser.OpenAsync(path);
        Assert.Equal(HttpStatusCode.OK, visit.Status);
        Assert.Equal(PortalBrowser.LoginPath, visit.FinalPath);
    }

    [Theory]
    [InlineData("https://elsewhere.example/users")]
    [InlineData("/a b")]
    [InlineData("//elsewhere.example")]
    public async Task A_sign_in_whose_return_address_is_not_this_hosts_lands_on_the_dashboard(string returnUrl)
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "return-url");
        using var browser = new PortalBrowser(Host);
        var path = $"{PortalBrowser.LoginPath}?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        using var signedIn = await browser.SubmitPageAsync(path, new Dictionary<string, string> { ["Input.Email"] = admin.Email, ["Input.Password"] = admin.Password });

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", PortalBrowser.RedirectPath(signedIn));
        Assert.Equal(HttpStatusCode.OK, (await browser.OpenAsync("/users")).Status);
    }

    [Fact]
    public async Task An_admin_setting_up_an_authenticator_stays_signed_in_while_the_app_scans_the_key()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "authenticator-set-up");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);

        // The first visit makes the account's authenticator key, which renews the account's security stamp.
        var setUp = await browser.OpenAsync("/Account/Manage/EnableAuthenticator");
        var shownAt = DateTimeOffset.UtcNow;
        var key = Base32(SharedKey().Match(setUp.Body).Groups[1].Value);

        // The admin takes longer to scan it than the sign-in waits before it checks the stamp again.
        await Wait.WaitUntilAsync(() => DateTimeOffset.UtcNow > shownAt + 2 * AdminPortalFixture.RevalidationInterval, "the sign-in is due to be checked again");
        var enabled = await PostPageAsync(browser, "/Account/Manage/EnableAuthenticator", new() { ["Input.Code"] = Totp(key) });

        Assert.Equal(10, RecoveryCode().Count(enabled!));
    }

    [Fact]
    public async Task A_passkey_answer_posted_again_after_its_request_lapsed_is_told_to_try_again()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "lapsed-passkey");
        const string answer = """{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}""";

        // Signing in: the browser's answer arrives with no request under way (a reload, a second tab).
        using var stranger = new PortalBrowser(Host);
        using var signIn = await stranger.SubmitPageAsync(PortalBrowser.LoginPath, new Dictionary<string, string> { ["Input.Passkey.CredentialJson"] = answer });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("The passkey request had expired or was already used.", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Adding one, signed in.
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);
        var added = await PostPageAsync(browser, "/Account/Manage/Passkeys", new() { ["Input.CredentialJson"] = answer });
        Assert.Equal("/Account/Manage/Passkeys", added);
        Assert.Contains("The passkey request had expired or was already used.", (await browser.OpenAsync(added!)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_out_pressed_again_in_a_second_tab_and_a_foreign_return_address_lead_to_pages()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync(), "sign-out-twice");
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);
        var token = PortalBrowser.AntiforgeryToken((await browser.OpenAsync("/users")).Body);
        Dictionary<string, string> SignOut(string returnUrl) => new() { ["__RequestVerificationToken"] = token, ["ReturnUrl"] = returnUrl };

        using (var first = await browser.Client.PostAsync("/Account/Logout", new FormUrlEncodedContent(SignOut("a\nb"))))
        {
            Assert.Equal("/", PortalBrowser.RedirectPath(first));
        }

        Assert.Equal(PortalBrowser.LoginPath, (await browser.OpenAsync("/users")).FinalPath);

        // The second tab's form, made for the admin who is gone: the sign-in page, not "no page at this address".
        using var second = await browser.Client.PostAsync("/Account/Logout", new FormUrlEncodedContent(SignOut("")));
        Assert.Equal(PortalBrowser.LoginPath, PortalBrowser.RedirectPath(second));
    }

    /// <summary>Posts the page's form with <paramref name="typed"/>; the page's answer when it stays, the page it leads to when it redirects.</summary>
    private static async Task<string?> PostPageAsync(PortalBrowser browser, string path, Dictionary<string, string> typed)
    {
        using var response = await browser.SubmitPageAsync(path, typed);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, $"{path} answered {(int)response.StatusCode}");
        return response.StatusCode == HttpStatusCode.Redirect ? PortalBrowser.RedirectPath(response) : await response.Content.ReadAsStringAsync();
    }

    /// <summary>The code an authenticator app shows now for <paramref name="key"/> (RFC 6238: 30 s steps, 6 digits, HMAC-SHA1).</summary>
    private static string Totp(byte[] key)
    {
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        var counter = BitConverter.GetBytes(step);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(counter);
        }

#pragma warning disable CA5350 // RFC 6238 as authenticator apps compute it.
        var hash = HMACSHA1.HashData(key, counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0F;
        var value = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var buffer = 0;
        var bytes = new List<byte>();
        foreach (var c in text.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant().TrimEnd('='))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }

    [GeneratedRegex("<kbd>([^<]+)</kbd>")]
    private static partial Regex SharedKey();

    [GeneratedRegex("<code class=\"recovery-code\">([^<]+)</code>")]
    private static partial Regex RecoveryCode();
}
