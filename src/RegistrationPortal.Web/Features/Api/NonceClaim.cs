using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>A nonce to record as used in the same transaction as the request it came with.</summary>
public sealed record NonceClaim(string Key, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// Records the nonce as used, in <paramref name="db"/>'s write (the write queue's transaction); false when it was
    /// used before. One statement, kept prepared for the rest of the batch.
    /// </summary>
    public async Task<bool> ClaimAsync(PortalDbContext db)
    {
        var command = db.Command(
            """INSERT INTO "UsedNonces" ("Key", "ExpiresAt") VALUES (@key, @expires) ON CONFLICT ("Key") DO NOTHING""",
            ("@key", typeof(string)),
            ("@expires", typeof(long)));
        command.Parameters[0].Value = Key;
        command.Parameters[1].Value = PortalDbContext.StoredTime(ExpiresAt);
        return await db.RunAsync(command) == 1;
    }
}
