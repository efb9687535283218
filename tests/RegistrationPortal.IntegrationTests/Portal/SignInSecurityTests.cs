using System.Net;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>Sign-in lockout and signing an admin out everywhere, through the real form, cookie and revalidation.</summary>
public sealed class SignInSecurityTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task After_too_many_wrong_passwords_even_the_right_one_is_refused_until_the_lockout_passes()
    {
        var admin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        using var browser = new PortalBrowser(Host);

        for (var attempt = 1; attempt < AdminPortalFixture.MaxFailedAccessAttempts; attempt++)
        {
            using var wrong = await browser.SubmitSignInAsync(admin.Email, "not-the-password-at-all");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Error: Invalid sign-in attempt.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var last = await browser.SubmitSignInAsync(admin.Email, "not-the-password-at-all"))
        {
            Assert.Equal("/Account/Lockout", PortalBrowser.RedirectPath(last));
        }

        var lockedAt = DateTimeOffset.UtcNow;
        using (var right = await browser.SubmitSignInAsync(admin.Email, admin.Password))
        {
            // Only meaningful while the lockout lasts; the duration leaves seconds of slack for a busy machine.
            Assert.True(DateTimeOffset.UtcNow - lockedAt < AdminPortalFixture.LockoutDuration, "the machine was too slow to check within the lockout");
            Assert.Equal("/Account/Lockout", PortalBrowser.RedirectPath(right));
        }

        Assert.Equal(PortalBrowser.LoginPath, (await browser.OpenAsync("/users")).FinalPath);
        var lockout = await browser.OpenAsync("/Account/Lockout");
        Assert.Contains("This account has been locked out", lockout.Body, StringComparison.Ordinal);

        // Once the lockout has passed the right password works again.
        await Wait.WaitUntilAsync(
            async () =>
            {
                using var attempt = await browser.SubmitSignInAsync(admin.Email, admin.Password);
                return attempt.StatusCode == HttpStatusCode.Redirect && PortalBrowser.RedirectPath(attempt) != "/Account/Lockout";
            },
            "the right password signs in again");
        Assert.True(DateTimeOffset.UtcNow - lockedAt >= AdminPortalFixture.LockoutDuration - TimeSpan.FromSeconds(1), "the lockout ended early");
        Assert.Equal("Users · RegistrationPortal", (await browser.OpenAsync("/users")).Title);
    }

    public enum Removal
    {
        SecurityStampUpdated,
        Deleted,
    }

    [Theory]
    [InlineData(Removal.SecurityStampUpdated)]
    [InlineData(Removal.Deleted)]
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

        await fixture.WithUsersAsync(
            async (users, user) =>
            {
                var result = removal == Removal.Deleted ? await users.DeleteAsync(user) : await users.UpdateSecurityStampAsync(user);
                Assert.True(result.Succeeded);
            },
            admin);

        await Wait.WaitUntilAsync(
            async () => (await browser.OpenAsync("/users")).FinalPath == PortalBrowser.LoginPath,
            "the next request with the old cookie is sent to sign in");
        await Wait.WaitUntilAsync(
            async () => (await state.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated != true,
            "the open page's authentication state is signed out");
    }
}
