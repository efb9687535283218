using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The public doors' write, one statement each and no change tracking: it runs for every request in the single writer,
/// so its cost bounds the doors' throughput. Plain SQL that SQLite and PostgreSQL both take (<c>ON CONFLICT</c>), with the
/// model's own storage of times (<see cref="DateTimeOffsetToBinaryConverter"/>).
/// </summary>
internal static class PublicRequestSql
{
    private static readonly DateTimeOffsetToBinaryConverter Times = new();

    public static long Time(DateTimeOffset at) => (long)Times.ConvertToProvider(at)!;

    /// <summary>Records the nonce as used; false when it was used before. One statement, in the caller's write.</summary>
    public static async Task<bool> ClaimNonceAsync(PortalDbContext db, NonceClaim nonce) =>
        await db.Database.ExecuteSqlRawAsync(
            """INSERT INTO "UsedNonces" ("Key", "ExpiresAt") VALUES ({0}, {1}) ON CONFLICT ("Key") DO NOTHING""",
            nonce.Key,
            Time(nonce.ExpiresAt)) == 1;

    /// <summary>
    /// Counts one resend for (organization, username) if the throttle allows it now, in one statement (see
    /// <see cref="ResendThrottling"/>: the cooldown, then the cap per rolling hour); false when it does not.
    /// </summary>
    public static async Task<bool> TryCountResendAsync(PortalDbContext db, string orgId, string normalizedUsername, DateTimeOffset now, RegistrationOptions settings) =>
        await db.Database.ExecuteSqlRawAsync(
            """
            INSERT INTO "ResendThrottles" AS t ("OrgId", "NormalizedUsername", "LastRequestAt", "WindowStartedAt", "WindowCount")
            VALUES ({0}, {1}, {2}, {2}, 1)
            ON CONFLICT ("OrgId", "NormalizedUsername") DO UPDATE SET
                "LastRequestAt" = CASE WHEN t."LastRequestAt" > {2} THEN t."LastRequestAt" ELSE {2} END,
                "WindowStartedAt" = CASE WHEN t."WindowStartedAt" <= {3} THEN {2} ELSE t."WindowStartedAt" END,
                "WindowCount" = CASE WHEN t."WindowStartedAt" <= {3} THEN 1 ELSE t."WindowCount" + 1 END
            WHERE t."LastRequestAt" <= {4} AND (t."WindowCount" < {5} OR t."WindowStartedAt" <= {3})
            """,
            orgId,
            normalizedUsername,
            Time(now),
            Time(now - ResendThrottling.Window),
            // The time was read before the row's lock was held (PostgreSQL): a request that waited for another's lock may
            // carry an earlier time. Without a cooldown it must not be held back by that; with one, it was within it anyway.
            settings.ResendCooldown > TimeSpan.Zero ? Time(now - settings.ResendCooldown) : long.MaxValue,
            settings.MaxResendsPerHour) == 1;

    /// <summary>Records the request: one plain insert, the same text for every request (no statement built per call).</summary>
    public static Task RecordAsync(PortalDbContext db, PublicRequest request) =>
        db.Database.ExecuteSqlRawAsync(
            """
            INSERT INTO "PublicRequests" ("Id", "Kind", "OrgId", "NormalizedUsername", "ActorKind", "ActorId", "ClientAddress", "CreatedAt", "CorrelationId", "TraceParent")
            VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9})
            """,
            request.Id,
            request.Kind.ToString(),
            request.OrgId,
            request.NormalizedUsername,
            request.ActorKind.ToString(),
            request.ActorId!,
            request.ClientAddress!,
            Time(request.CreatedAt),
            request.CorrelationId!,
            request.TraceParent!);
}
