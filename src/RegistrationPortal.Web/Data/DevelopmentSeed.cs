using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data;

/// <summary>The <c>Seed:Demo</c> section: a demo organization, its API application and a few users.</summary>
public sealed class DemoSeedOptions
{
    public bool Enabled { get; set; }

    public string OrgId { get; set; } = "";

    public string OrgName { get; set; } = "Demo Organization";

    public string AppId { get; set; } = "";

    public string[] PendingUsers { get; set; } = [];

    public string[] RegisteredUsers { get; set; } = [];

    public string[] DeactivatedUsers { get; set; } = [];

    /// <summary>The demo org admin's sign-in; the README states it.</summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    public string? PlatformAdminEmail { get; set; }

    public string? PlatformAdminPassword { get; set; }
}

/// <summary>Creates the demo organization on first run in Development, so the README's examples work as written.</summary>
public static class DevelopmentSeed
{
    public static async Task SeedDemoAsync(this IServiceProvider services)
    {
        var options = services.GetRequiredService<IConfiguration>().GetSection("Seed:Demo").Get<DemoSeedOptions>();
        if (options is not { Enabled: true })
        {
            return;
        }

        var contexts = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            if (await db.Organizations.AnyAsync(o => o.Id == options.OrgId))
            {
                return;
            }
        }

        var seed = Actor.Operator("development-seed");
        var organizations = services.GetRequiredService<OrganizationService>();
        var registration = services.GetRequiredService<RegistrationService>();
        await organizations.CreateAsync(options.OrgName, seed, options.OrgId);
        await organizations.CreateApplicationAsync(options.OrgId, "Demo application", seed, options.AppId);
        foreach (var email in options.PendingUsers)
        {
            await registration.InviteAsync(options.OrgId, email, UserKind.EndUser, seed);
        }

        var admins = services.GetRequiredService<AdminAccountService>();
        if (options.AdminEmail is { } adminEmail && options.AdminPassword is { } adminPassword)
        {
            await admins.CreateAsync(options.OrgId, adminEmail, adminPassword, platformAdmin: false, seed, invite: false);
        }

        if (options.PlatformAdminEmail is { } platformEmail && options.PlatformAdminPassword is { } platformPassword)
        {
            await admins.CreateAsync(null, platformEmail, platformPassword, platformAdmin: true, seed, invite: false);
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await services.GetRequiredService<WriteQueue>().ExecuteAsync(db =>
        {
            foreach (var email in options.RegisteredUsers.Concat(options.DeactivatedUsers))
            {
                var registered = options.RegisteredUsers.Contains(email);
                db.OrgUsers.Add(new OrgUser
                {
                    Id = Ids.New(Ids.User),
                    OrgId = options.OrgId,
                    Username = email,
                    NormalizedUsername = EmailAddress.Normalize(email),
                    Kind = UserKind.CustomerEmployee,
                    CreatedAt = now,
                    IsRegistered = registered,
                    RegisteredAt = registered ? now : null,
                    IsActive = registered,
                });
            }

            return Task.FromResult(true);
        });
    }
}
