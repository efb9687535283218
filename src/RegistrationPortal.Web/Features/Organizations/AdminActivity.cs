using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// When an admin account was made and when it last signed in. Identity's user has neither, so both are kept in
/// Identity's own per-user name/value table (<c>AspNetUserTokens</c>, under a provider name of the portal's) rather than
/// in new columns: no schema change, and removing the admin removes them. Written straight through the write queue, not
/// through <see cref="UserManager{TUser}"/>, so a sign-in never changes the account's concurrency stamp under another
/// change of the same admin. Accounts made before this was kept show neither ("not known").
/// </summary>
public static class AdminActivity
{
    public const string Provider = "RegistrationPortal";

    public const string CreatedAt = "created-at";

    public const string LastSignInAt = "last-sign-in-at";

    public static Task RecordAsync(WriteQueue writes, string adminId, string name, DateTimeOffset at) =>
        writes.ExecuteAsync(async db =>
        {
            await SetAsync(db, adminId, name, at);
            return true;
        });

    /// <summary>Adds the time to the unit of work of <paramref name="db"/>.</summary>
    public static async Task SetAsync(PortalDbContext db, string adminId, string name, DateTimeOffset at)
    {
        var value = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var row = await db.UserTokens.FirstOrDefaultAsync(t => t.UserId == adminId && t.LoginProvider == Provider && t.Name == name);
        if (row is null)
        {
            db.UserTokens.Add(new IdentityUserToken<string> { UserId = adminId, LoginProvider = Provider, Name = name, Value = value });
        }
        else
        {
            row.Value = value;
        }
    }

    public static DateTimeOffset? Parse(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}
