using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

public enum CreateAdminStatus
{
    Created,
    UnknownOrganization,
    InvalidEmail,
    DuplicateEmail,
    PasswordRejected,
}

public sealed record CreateAdminOutcome(CreateAdminStatus Status, string? AdminId = null, IReadOnlyList<string>? Problems = null);

/// <summary>Creates portal admin accounts (ASP.NET Core Identity users with the OrgAdmin or PlatformAdmin role).</summary>
public sealed class AdminAccountService(IServiceScopeFactory scopes, WriteQueue writes, TimeProvider time, IAdminEmails invitations)
{
    /// <summary>
    /// Creates an admin. With <paramref name="invite"/> the new admin is emailed an invitation whose link lets them
    /// choose their own password (the portal's and the operator's way); then <paramref name="password"/> may be null, and
    /// the account has none until they choose it. Without it (the development seed's demo accounts) a password is needed.
    /// An invited admin's email counts as confirmed once they use an emailed link.
    /// </summary>
    public async Task<CreateAdminOutcome> CreateAsync(string? orgId, string email, string? password, bool platformAdmin, Actor actor, bool invite)
    {
        if (password is null && !invite)
        {
            throw new ArgumentException("An admin who is not invited needs a password.", nameof(password));
        }

        if (!EmailAddress.IsValid(email))
        {
            return new CreateAdminOutcome(CreateAdminStatus.InvalidEmail);
        }

        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        if (!platformAdmin && (orgId is null || !await db.Organizations.AnyAsync(o => o.Id == orgId)))
        {
            return new CreateAdminOutcome(CreateAdminStatus.UnknownOrganization);
        }

        var users = services.GetRequiredService<UserManager<PortalUser>>();
        if (await users.FindByEmailAsync(email.Trim()) is not null)
        {
            return new CreateAdminOutcome(CreateAdminStatus.DuplicateEmail);
        }

        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        var role = platformAdmin ? PortalRoles.PlatformAdmin : PortalRoles.OrgAdmin;
        if (!await roles.RoleExistsAsync(role))
        {
            await roles.CreateAsync(new IdentityRole(role));
        }

        var admin = new PortalUser
        {
            UserName = email.Trim(),
            Email = email.Trim(),
            EmailConfirmed = !invite,
            OrgId = platformAdmin ? null : orgId,
        };
        var created = password is null ? await users.CreateAsync(admin) : await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            var problems = created.Errors.Select(e => e.Description).ToList();
            return created.Errors.Any(e => e.Code is "DuplicateUserName" or "DuplicateEmail")
                ? new CreateAdminOutcome(CreateAdminStatus.DuplicateEmail)
                : new CreateAdminOutcome(CreateAdminStatus.PasswordRejected, Problems: problems);
        }

        await users.AddToRoleAsync(admin, role);
        await writes.ExecuteAsync(async w =>
        {
            var now = time.GetUtcNow();
            w.Audit(now, admin.OrgId, AuditActions.AdminCreated, actor, admin.Id, role);
            await AdminActivity.SetAsync(w, admin.Id, AdminActivity.CreatedAt, now);
            return true;
        });
        if (invite)
        {
            await invitations.InviteAsync(users, admin, actor);
        }

        return new CreateAdminOutcome(CreateAdminStatus.Created, admin.Id);
    }

    /// <summary>
    /// Disables, enables or removes the admin with <paramref name="email"/>. Disabling locks the account with no end
    /// and changes its security stamp, so every open page and cookie of that admin is signed out at the next
    /// revalidation; removing deletes the account, which signs it out the same way. Null when no admin has the email.
    /// </summary>
    public async Task<string?> ChangeAsync(string email, AdminChange change, Actor actor)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        if (await users.FindByEmailAsync(email.Trim()) is not { } admin)
        {
            return null;
        }

        IdentityResult result;
        string action;
        switch (change)
        {
            case AdminChange.Disable:
                await Check(users.SetLockoutEnabledAsync(admin, true));
                await Check(users.SetLockoutEndDateAsync(admin, DateTimeOffset.MaxValue));
                result = await users.UpdateSecurityStampAsync(admin);
                action = AuditActions.AdminDisabled;
                break;
            case AdminChange.Enable:
                await Check(users.SetLockoutEndDateAsync(admin, null));
                await Check(users.ResetAccessFailedCountAsync(admin));
                result = await users.UpdateSecurityStampAsync(admin);
                action = AuditActions.AdminEnabled;
                break;
            default:
                result = await users.DeleteAsync(admin);
                action = AuditActions.AdminRemoved;
                break;
        }

        await Check(Task.FromResult(result));
        await writes.ExecuteAsync(w =>
        {
            w.Audit(time.GetUtcNow(), admin.OrgId, action, actor, admin.Id, null);
            return Task.FromResult(true);
        });
        return admin.Id;

        static async Task Check(Task<IdentityResult> step)
        {
            var done = await step;
            if (!done.Succeeded)
            {
                throw new InvalidOperationException(string.Join(" ", done.Errors.Select(e => e.Description)));
            }
        }
    }
}

public enum AdminChange
{
    Disable,
    Enable,
    Remove,
}
