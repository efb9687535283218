using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

public enum LanguageChangeStatus
{
    Changed,
    Unchanged,
    UnknownLanguage,

    /// <summary>No such user in the admin's organization (audited as an access denied).</summary>
    Unknown,
}

/// <summary>
/// The language of a user's registration emails, as an admin reads and changes it; scoped by <see cref="AdminScope"/>
/// like every user action, and every change audited with the old and new language.
/// </summary>
public sealed class UserLanguageService(IDbContextFactory<PortalDbContext> contexts, WriteQueue writes, TimeProvider time)
{
    /// <summary>The user's language, or null when the user is not in the admin's organization.</summary>
    public async Task<string?> GetAsync(AdminScope scope, string userId, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var language = await db.OrgUsers.AsNoTracking()
            .Where(u => u.Id == userId && u.OrgId == scope.OrgId)
            .Select(u => u.Language)
            .FirstOrDefaultAsync(ct);
        return language is null ? null : PortalLanguages.OrDefault(language);
    }

    public async Task<LanguageChangeStatus> ChangeAsync(AdminScope scope, string userId, string language, string? clientAddress)
    {
        if (PortalLanguages.Parse(language) is not { } wanted)
        {
            return LanguageChangeStatus.UnknownLanguage;
        }

        var actor = Actor.Admin(scope.AdminId, clientAddress);
        var status = await writes.ExecuteAsync(async db =>
        {
            var user = await db.OrgUsers.ForUpdate().FirstOrDefaultAsync(u => u.Id == userId && u.OrgId == scope.OrgId);
            if (user is null)
            {
                return LanguageChangeStatus.Unknown;
            }

            var old = PortalLanguages.OrDefault(user.Language);
            if (old == wanted)
            {
                return LanguageChangeStatus.Unchanged;
            }

            user.Language = wanted;
            db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.UserLanguageChanged, actor, userId, $"from {old} to {wanted}");
            return LanguageChangeStatus.Changed;
        });
        if (status == LanguageChangeStatus.Unknown)
        {
            await PortalDenials.AuditAsync(writes, time, scope.OrgId, actor, userId, "change language: no such user in the organization");
        }

        return status;
    }
}
