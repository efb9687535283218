using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>An admin account a test made, with the password to type into the sign-in form.</summary>
public sealed record TestAdmin(string Id, string Email, string Password, string? OrgId);

/// <summary>
/// The host for admin portal tests: short security-stamp revalidation and a short second-factor lockout, so tests
/// can watch both happen (waiting on a condition, never sleeping), and a small per-address sign-in limit behind a
/// trusted proxy. Mail stays queued.
/// </summary>
public class AdminPortalFixture : PortalFixture
{
    public const int MaxFailedAccessAttempts = 3;

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan RevalidationInterval = TimeSpan.FromSeconds(1);

    /// <summary>Sign-in form posts one client address may make per <see cref="SignInWindow"/>.</summary>
    public const int SignInPermitLimit = 8;

    public static readonly TimeSpan SignInWindow = TimeSpan.FromMinutes(10);

    protected sealed override bool WithSmtp => false;

    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:DispatcherEnabled"] = "false",
        ["Identity:RevalidationInterval"] = RevalidationInterval.ToString("c"),
        ["Identity:MaxFailedAccessAttempts"] = MaxFailedAccessAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Identity:LockoutDuration"] = LockoutDuration.ToString("c"),
        ["Identity:SignInPermitLimit"] = SignInPermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Identity:SignInWindow"] = SignInWindow.ToString("c"),

        // The test's browsers reach the host through a trusted proxy on loopback, each from its own address.
        ["ForwardedHeaders:Enabled"] = "true",
    };

    /// <summary>A new admin: of <paramref name="orgId"/>, or a platform admin when it is null.</summary>
    public async Task<TestAdmin> CreateAdminAsync(string? orgId, string tag = "admin")
    {
        var email = PortalFactory.NewEmail(tag);
        var password = $"pw-{Guid.NewGuid():N}";
        var outcome = await Factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(orgId, email, password, platformAdmin: orgId is null, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, outcome.Status);
        return new TestAdmin(outcome.AdminId!, email, password, orgId);
    }

    /// <summary>The claims the sign-in cookie would carry for <paramref name="admin"/>, made by the host's own factory.</summary>
    public async Task<ClaimsPrincipal> PrincipalOfAsync(TestAdmin admin)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(admin.Id) ?? throw new InvalidOperationException($"No admin {admin.Id}.");
        return await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>().CreateAsync(user);
    }

    public async Task<AdminScope> ScopeOfAsync(TestAdmin admin, string? requestedOrgId = null) =>
        AdminScope.For(await PrincipalOfAsync(admin), requestedOrgId ?? admin.OrgId) ?? throw new InvalidOperationException($"{admin.Email} has no scope.");

    /// <summary>Runs <paramref name="work"/> with the host's user manager, as an operator would.</summary>
    public async Task WithUsersAsync(Func<UserManager<PortalUser>, PortalUser, Task> work, TestAdmin admin)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(admin.Id) ?? throw new InvalidOperationException($"No admin {admin.Id}.");
        await work(users, user);
    }
}

public sealed class PostgresAdminPortalFixture : AdminPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
