using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>
/// The emails that let an admin choose a password: an invitation (a new admin, or one re-invited) and a password reset.
/// Both carry the link of "Forgot password?": Identity's password-reset token, so it expires with Identity's token
/// lifespan, and works once (setting the password changes the security stamp, which every earlier token depends on).
/// Queued in the outbox with their audit event.
/// </summary>
public sealed class AdminInvitations(AccountEmailQueue queue, IOptionsMonitor<PortalOptions> portal, IDbContextFactory<PortalDbContext> contexts) : IAdminEmails
{
    /// <summary>The reset page's link for <paramref name="email"/> with Identity's <paramref name="token"/>, as the emails carry it.</summary>
    public static string ResetLink(string publicBaseUrl, string token, string email)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));
        return $"{publicBaseUrl.TrimEnd('/')}/Account/ResetPassword?code={Uri.EscapeDataString(code)}&email={Uri.EscapeDataString(email)}";
    }

    public async Task<string> LinkForAsync(UserManager<PortalUser> users, PortalUser admin) =>
        ResetLink(portal.CurrentValue.PublicBaseUrl, await users.GeneratePasswordResetTokenAsync(admin), admin.Email!);

    /// <summary>Emails <paramref name="admin"/> an invitation naming their organization (none for a platform admin); audited as <see cref="AuditActions.AdminInvited"/>.</summary>
    public async Task InviteAsync(UserManager<PortalUser> users, PortalUser admin, Actor actor)
    {
        string? organization = null;
        if (admin.OrgId is not null)
        {
            await using var db = await contexts.CreateDbContextAsync();
            organization = await db.Organizations.Where(o => o.Id == admin.OrgId).Select(o => o.Name).FirstOrDefaultAsync();
        }

        var content = new AccountEmailContent(AccountEmailKind.AdminInvitation, await LinkForAsync(users, admin), organization);
        await queue.QueueAsync(admin.OrgId, admin.Id, admin.Email!, content, actor, AuditActions.AdminInvited);
    }

    /// <summary>Emails <paramref name="admin"/> the forgotten-password email; audited as <see cref="AuditActions.AdminPasswordResetRequested"/>.</summary>
    public async Task SendPasswordResetAsync(UserManager<PortalUser> users, PortalUser admin, Actor actor)
    {
        var content = new AccountEmailContent(AccountEmailKind.PasswordReset, await LinkForAsync(users, admin), OrganizationName: null);
        await queue.QueueAsync(admin.OrgId, admin.Id, admin.Email!, content, actor, AuditActions.AdminPasswordResetRequested);
    }
}
