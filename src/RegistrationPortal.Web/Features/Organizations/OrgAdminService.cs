using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>One org admin as the Admins page lists them. Created and last sign-in are null when not known.</summary>
public sealed record OrgAdminRow(
    string Id,
    string Email,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastSignInAt,
    bool EmailConfirmed,
    bool HasPassword,
    bool LockedOut)
{
    /// <summary>An invitation is for an admin who has not started: no password chosen yet, or never signed in.</summary>
    public bool CanResendInvitation => !HasPassword || LastSignInAt is null;
}

public enum OrgAdminActionStatus
{
    Sent,

    /// <summary>The admin has a password and has signed in: a password reset is what they need, not an invitation.</summary>
    AlreadyStarted,

    /// <summary>No such admin in the organization in scope (also another organization's admin).</summary>
    NotFound,
}

/// <summary>
/// The org admins of the organization in scope (<see cref="AdminScope"/>), and what another admin may do for them:
/// resend the invitation, send a password reset. An admin of another organization (or a platform admin) is not found,
/// and asking for one is audited as refused in the organization in scope.
/// </summary>
public sealed class OrgAdminService(
    IDbContextFactory<PortalDbContext> contexts,
    IServiceScopeFactory scopes,
    IAdminEmails invitations,
    WriteQueue writes,
    TimeProvider time)
{
    /// <summary>An organization has a handful of admins; the page lists up to this many.</summary>
    public const int MaxListed = 500;

    public async Task<IReadOnlyList<OrgAdminRow>> ListAsync(AdminScope scope, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var admins = await db.Users.AsNoTracking()
            .Where(u => u.OrgId == scope.OrgId)
            .OrderBy(u => u.NormalizedEmail)
            .Take(MaxListed)
            .Select(u => new
            {
                u.Id,
                u.Email,
                u.EmailConfirmed,
                HasPassword = u.PasswordHash != null,
                u.LockoutEnd,
                Created = db.UserTokens.Where(t => t.UserId == u.Id && t.LoginProvider == AdminActivity.Provider && t.Name == AdminActivity.CreatedAt).Select(t => t.Value).FirstOrDefault(),
                SignedIn = db.UserTokens.Where(t => t.UserId == u.Id && t.LoginProvider == AdminActivity.Provider && t.Name == AdminActivity.LastSignInAt).Select(t => t.Value).FirstOrDefault(),
            })
            .ToListAsync(ct);

        // LockoutEnd is compared here: SQLite keeps DateTimeOffset as text, which EF cannot compare in SQL.
        return admins
            .Select(a => new OrgAdminRow(a.Id, a.Email ?? "", AdminActivity.Parse(a.Created), AdminActivity.Parse(a.SignedIn), a.EmailConfirmed, a.HasPassword, a.LockoutEnd > now))
            .ToList();
    }

    /// <summary>Emails the admin a new invitation (a link to choose their password), audited as <see cref="AuditActions.AdminInvited"/>.</summary>
    public Task<OrgAdminActionStatus> ResendInvitationAsync(AdminScope scope, string adminId, string? clientAddress) =>
        ActAsync(scope, adminId, clientAddress, "resend invitation", async (users, admin, actor) =>
        {
            if (admin.PasswordHash is not null && await LastSignInAsync(admin.Id) is not null)
            {
                return OrgAdminActionStatus.AlreadyStarted;
            }

            await invitations.InviteAsync(users, admin, actor);
            return OrgAdminActionStatus.Sent;
        });

    /// <summary>Emails the admin the forgotten-password email, audited as <see cref="AuditActions.AdminPasswordResetRequested"/>.</summary>
    public Task<OrgAdminActionStatus> SendPasswordResetAsync(AdminScope scope, string adminId, string? clientAddress) =>
        ActAsync(scope, adminId, clientAddress, "send password reset", async (users, admin, actor) =>
        {
            await invitations.SendPasswordResetAsync(users, admin, actor);
            return OrgAdminActionStatus.Sent;
        });

    private async Task<OrgAdminActionStatus> ActAsync(
        AdminScope scope,
        string adminId,
        string? clientAddress,
        string what,
        Func<UserManager<PortalUser>, PortalUser, Actor, Task<OrgAdminActionStatus>> action)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var actor = Actor.Admin(scope.AdminId, clientAddress);
        await using var services = scopes.CreateAsyncScope();
        var users = services.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var admin = string.IsNullOrEmpty(adminId) ? null : await users.FindByIdAsync(adminId);
        if (admin is null || admin.OrgId != scope.OrgId)
        {
            await writes.ExecuteAsync(db =>
            {
                var subject = string.IsNullOrEmpty(adminId) ? null : adminId[..Math.Min(adminId.Length, 64)];
                db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.AccessDenied, actor, subject, $"{what}: no such admin in the organization");
                return Task.FromResult(true);
            });
            return OrgAdminActionStatus.NotFound;
        }

        return await action(users, admin, actor);
    }

    private async Task<DateTimeOffset?> LastSignInAsync(string adminId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return AdminActivity.Parse(await db.UserTokens
            .Where(t => t.UserId == adminId && t.LoginProvider == AdminActivity.Provider && t.Name == AdminActivity.LastSignInAt)
            .Select(t => t.Value)
            .FirstOrDefaultAsync());
    }
}
