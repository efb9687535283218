using System.Net;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;

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
