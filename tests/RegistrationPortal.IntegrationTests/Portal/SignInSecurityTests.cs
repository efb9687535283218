using System.Net;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>Sign-in lockout and signing an admin out everywhere, through the real form, cookie and revalidation.</summary>
public sealed class SignInSecurityTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    private const string WrongPassword = "not-the-password-at-all";

    [Fact]
    public async Task A_strangers_wrong_passwords_from_another_network_do_not_keep_the_admin_out()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        using var attacker = new PortalBrowser(Host, "203.0.113.66");

        // More wrong passwords than Identity:MaxFailedAccessAttempts, fewer than the attacker's address may post.
        for (var attempt = 1; attempt <= AdminPortalFixture.MaxFailedAccessAttempts + 2; attempt++)
        {
            using var wrong = await attacker.SubmitSignInAsync(admin.Email, WrongPassword);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Error: Invalid sign-in attempt.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The admin, at their own desk, signs in at once with the right password, and the stranger still cannot.
        using var own = new PortalBrowser(Host, "198.51.100.7");
        await own.SignInAsync(admin.Email, admin.Password);
        Assert.Equal("Users · RegistrationPortal", (await own.OpenAsync("/users")).Title);
        using (var stillWrong = await attacker.SubmitSignInAsync(admin.Email, WrongPassword))
        {
            Assert.Equal(HttpStatusCode.OK, stillWrong.StatusCode);
            Assert.Contains("Error: Invalid sign-in attempt.", await stillWrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(PortalBrowser.LoginPath, (await attacker.OpenAsync("/users")).FinalPath);
    }

    [Fact]
    public async Task After_repeated_failures_a_real_a_disabled_and_an_unknown_email_get_the_same_answer()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var real = await fixture.CreateAdminAsync(orgId, "real");
        var disabled = await fixture.CreateAdminAsync(orgId, "disabled");
        Assert.NotNull(await Host.Services.GetRequiredService<AdminAccountService>().ChangeAsync(disabled.Email, AdminChange.Disable, Actor.Operator("test")));
        var emails = new[] { real.Email, disabled.Email, PortalFactory.NewEmail("nobody") };

        // Each from its own network, so only the account differs; as many tries as the address may make.
        var browsers = emails.Select(_ => new PortalBrowser(Host)).ToArray();
        try
        {
            for (var attempt = 1; attempt <= AdminPortalFixture.SignInPermitLimit; attempt++)
            {
                var answers = new List<string>();
                for (var i = 0; i < emails.Length; i++)
                {
                    using var response = await browsers[i].SubmitSignInAsync(emails[i], WrongPassword);
                    answers.Add(await AnswerAsync(response, emails[i]));
                }

                Assert.Contains("Error: Invalid sign-in attempt.", answers[0], StringComparison.Ordinal);
                Assert.Equal(answers[0], answers[1]);
                Assert.Equal(answers[0], answers[2]);
            }
        }
        finally
        {
            foreach (var browser in browsers)
            {
                browser.Dispose();
            }
        }
    }

    [Fact]
    public async Task One_network_that_posts_the_sign_in_form_too_often_is_asked_to_wait_while_others_sign_in()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        using var busy = new PortalBrowser(Host);
        for (var attempt = 1; attempt <= AdminPortalFixture.SignInPermitLimit; attempt++)
        {
            // Different accounts, as a password sprayer would try: the limit is the network's, not the account's.
            using var wrong = await busy.SubmitSignInAsync(PortalFactory.NewEmail("sprayed"), WrongPassword);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        foreach (var password in new[] { WrongPassword, admin.Password })
        {
            using var refused = await busy.SubmitSignInAsync(admin.Email, password);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
            // The window (ten minutes), all of it used just now: nothing frees before it has passed.
            Assert.Equal((int)AdminPortalFixture.SignInWindow.TotalSeconds, int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("Too many sign-in attempts from your network. Please wait 10 minutes and try again.", body, StringComparison.Ordinal);
            Assert.Contains("<form", body, StringComparison.Ordinal);
        }

        Assert.Equal(PortalBrowser.LoginPath, (await busy.OpenAsync("/users")).FinalPath);

        // Another network is not held up.
        using var other = new PortalBrowser(Host);
        await other.SignInAsync(admin.Email, admin.Password);
        Assert.Equal("Users · RegistrationPortal", (await other.OpenAsync("/users")).Title);
    }

    /// <summary>Status, headers, where it leads and the page, with what differs per request anyway (antiforgery tokens,
    /// script nonces, encrypted component state, the email typed) blanked.</summary>
    private static async Task<string> AnswerAsync(HttpResponseMessage response, string email)
    {
        var body = await response.Content.ReadAsStringAsync();
        body = body.Replace(email, "EMAIL", StringComparison.Ordinal);
        body = System.Text.RegularExpressions.Regex.Replace(body, "name=\"__RequestVerificationToken\" value=\"[^\"]*\"", "TOKEN");
        body = System.Text.RegularExpressions.Regex.Replace(body, "request-token-value=\"[^\"]*\"", "TOKEN");
        body = System.Text.RegularExpressions.Regex.Replace(body, "nonce=\"[^\"]*\"", "NONCE");

        // Blazor's persisted component state, encrypted afresh for every answer.
        body = System.Text.RegularExpressions.Regex.Replace(body, "<!--Blazor-Server-Component-State:[^>]*-->", "STATE");
        var headers = string.Join('\n', response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {string.Join(",", h.Key == "Set-Cookie" ? h.Value.Select(c => c.Split('=')[0]) : h.Value)}"));
        headers = System.Text.RegularExpressions.Regex.Replace(headers, "'nonce-[^']*'", "NONCE");
        return $"{(int)response.StatusCode} {PortalBrowser.RedirectPath(response)}\n{headers}\n\n{body}";
    }

    public enum Removal
    {
        SecurityStampUpdated,
        Disabled,
        Removed,
    }

    [Theory]
    [InlineData(Removal.SecurityStampUpdated)]
    [InlineData(Removal.Disabled)]
    [InlineData(Removal.Removed)]
    public async Task A_signed_in_admin_who_is_signed_out_everywhere_or_removed_loses_the_portal_at_the_next_revalidation(Removal removal)
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(admin.Email, admin.Password);
        Assert.Equal("Users · RegistrationPortal", (await browser.OpenAsync("/users")).Title);

        // An open page: the circuit's authentication state, revalidated by the host's own provider.
        await using var circuit = Host.Services.CreateAsyncScope();
        var state = circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        Assert.IsAssignableFrom<RevalidatingServerAuthenticationStateProvider>(state);
        ((IHostEnvironmentAuthenticationStateProvider)state).SetAuthenticationState(
            Task.FromResult(new AuthenticationState(await fixture.PrincipalOfAsync(admin))));

        // Disabling and removing are what an operator does (`admin disable`, `admin remove`); a new stamp is what
        // a password or two-factor reset makes.
        var accounts = Host.Services.GetRequiredService<AdminAccountService>();
        if (removal == Removal.SecurityStampUpdated)
        {
            await fixture.WithUsersAsync(async (users, user) => Assert.True((await users.UpdateSecurityStampAsync(user)).Succeeded), admin);
        }
        else
        {
            Assert.NotNull(await accounts.ChangeAsync(admin.Email, removal == Removal.Disabled ? AdminChange.Disable : AdminChange.Remove, Actor.Operator("test")));
        }

        await Wait.WaitUntilAsync(
            async () => (await browser.OpenAsync("/users")).FinalPath == PortalBrowser.LoginPath,
            "the next request with the old cookie is sent to sign in");
        await Wait.WaitUntilAsync(
            async () => (await state.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated != true,
            "the open page's authentication state is signed out");

        if (removal == Removal.Disabled)
        {
            // A disabled admin's right password leads to the lockout page until an operator enables the account.
            using (var refused = await browser.SubmitSignInAsync(admin.Email, admin.Password))
            {
                Assert.Equal("/Account/Lockout", PortalBrowser.RedirectPath(refused));
            }

            Assert.NotNull(await accounts.ChangeAsync(admin.Email, AdminChange.Enable, Actor.Operator("test")));
            await browser.SignInAsync(admin.Email, admin.Password);
            Assert.Equal("Users · RegistrationPortal", (await browser.OpenAsync("/users")).Title);
        }

        var audited = removal switch
        {
            Removal.Disabled => [AuditActions.AdminDisabled, AuditActions.AdminEnabled],
            Removal.Removed => new[] { AuditActions.AdminRemoved },
            _ => [],
        };
        var events = await Host.WithDbAsync(db => db.AuditEvents.Where(a => a.SubjectId == admin.Id && a.Action.StartsWith("admin.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal([AuditActions.AdminCreated, .. audited], events);
    }
}
