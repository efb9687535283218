using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using NpgsqlTypes;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Data.Postgres;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The public doors' write, one statement each and no change tracking: it runs for every request in the single writer,
/// so its cost bounds the doors' throughput. Plain SQL that SQLite and PostgreSQL both take (<c>ON CONFLICT</c>), with the
/// model's own storage of times (<see cref="DateTimeOffsetToBinaryConverter"/>).
/// </summary>
internal static class PublicRequestSql
{
    private static long Time(DateTimeOffset at) => PortalDbContext.StoredTime(at);

    /// <summary>
    /// Counts one resend for (organization, username) if the throttle allows it now, in one statement (see
    /// <see cref="ResendThrottling"/>: the cooldown, then the cap per rolling hour); false when it does not.
    /// </summary>
    public static async Task<bool> TryCountResendAsync(PortalDbContext db, string orgId, string normalizedUsername, DateTimeOffset now, RegistrationOptions settings)
    {
        var command = db.Command(
            """
            INSERT INTO "ResendThrottles" AS t ("OrgId", "NormalizedUsername", "LastRequestAt", "WindowStartedAt", "WindowCount")
            VALUES (@org, @user, @now, @now, 1)
            ON CONFLICT ("OrgId", "NormalizedUsername") DO UPDATE SET
                "LastRequestAt" = CASE WHEN t."LastRequestAt" > @now THEN t."LastRequestAt" ELSE @now END,
                "WindowStartedAt" = CASE WHEN t."WindowStartedAt" <= @window THEN @now ELSE t."WindowStartedAt" END,
                "WindowCount" = CASE WHEN t."WindowStartedAt" <= @window THEN 1 ELSE t."WindowCount" + 1 END
            WHERE t."LastRequestAt" <= @cooldown AND (t."WindowCount" < @cap OR t."WindowStartedAt" <= @window)
            """,
            ("@org", typeof(string)),
            ("@user", typeof(string)),
            ("@now", typeof(long)),
            ("@window", typeof(long)),
            ("@cooldown", typeof(long)),
            ("@cap", typeof(int)));
        command.Parameters[0].Value = orgId;
        command.Parameters[1].Value = normalizedUsername;
        command.Parameters[2].Value = Time(now);
        command.Parameters[3].Value = Time(now - ResendThrottling.Window);

        // The time was read before the row's lock was held (PostgreSQL): a request that waited for another's lock may
        // carry an earlier time. Without a cooldown it must not be held back by that; with one, it was within it anyway.
        command.Parameters[4].Value = settings.ResendCooldown > TimeSpan.Zero ? Time(now - settings.ResendCooldown) : long.MaxValue;
        command.Parameters[5].Value = settings.MaxResendsPerHour;
        return await db.RunAsync(command) == 1;
    }

    /// <summary>Records the request: one plain insert, the same text for every request (no statement built per call).</summary>
    public static async Task RecordAsync(PortalDbContext db, PublicRequest request)
    {
        var command = db.Command(
            """
            INSERT INTO "PublicRequests" ("Id", "Kind", "OrgId", "NormalizedUsername", "ActorKind", "ActorId", "ClientAddress", "CreatedAt", "CorrelationId", "TraceParent")
            VALUES (@id, @kind, @org, @user, @actorKind, @actorId, @address, @at, @correlation, @trace)
            """,
            ("@id", typeof(Guid)),
            ("@kind", typeof(string)),
            ("@org", typeof(string)),
            ("@user", typeof(string)),
            ("@actorKind", typeof(string)),
            ("@actorId", typeof(string)),
            ("@address", typeof(string)),
            ("@at", typeof(long)),
            ("@correlation", typeof(string)),
            ("@trace", typeof(string)));
        var values = command.Parameters;
        values[0].Value = request.Id;
        values[1].Value = request.Kind.ToString();
        values[2].Value = request.OrgId;
        values[3].Value = request.NormalizedUsername;
        values[4].Value = request.ActorKind.ToString();
        values[5].Value = (object?)request.ActorId ?? DBNull.Value;
        values[6].Value = (object?)request.ClientAddress ?? DBNull.Value;
        values[7].Value = Time(request.CreatedAt);
        values[8].Value = (object?)request.CorrelationId ?? DBNull.Value;
        values[9].Value = (object?)request.TraceParent ?? DBNull.Value;
        await db.RunAsync(command);
    }

    /// <summary>
    /// PostgreSQL: the public resend's three writes (<see cref="NonceClaim.ClaimAsync"/>, <see cref="TryCountResendAsync"/>,
    /// <see cref="RecordAsync"/>) as one statement, each step taken only if the one before it was. The same text for every
    /// request (no nonce is a null <c>$1</c>), so the server keeps it prepared on each connection.
    /// </summary>
    private const string RecordResendStatement =
        """
        WITH n AS (
            INSERT INTO "UsedNonces" ("Key", "ExpiresAt")
            SELECT $1, $2 WHERE $1 IS NOT NULL
            ON CONFLICT ("Key") DO NOTHING
            RETURNING 1
        ), t AS (
            INSERT INTO "ResendThrottles" AS t ("OrgId", "NormalizedUsername", "LastRequestAt", "WindowStartedAt", "WindowCount")
            SELECT $3, $4, $5, $5, 1 WHERE $1 IS NULL OR EXISTS (SELECT 1 FROM n)
            ON CONFLICT ("OrgId", "NormalizedUsername") DO UPDATE SET
                "LastRequestAt" = CASE WHEN t."LastRequestAt" > $5 THEN t."LastRequestAt" ELSE $5 END,
                "WindowStartedAt" = CASE WHEN t."WindowStartedAt" <= $6 THEN $5 ELSE t."WindowStartedAt" END,
                "WindowCount" = CASE WHEN t."WindowStartedAt" <= $6 THEN 1 ELSE t."WindowCount" + 1 END
            WHERE t."LastRequestAt" <= $7 AND (t."WindowCount" < $8 OR t."WindowStartedAt" <= $6)
            RETURNING 1
        ), r AS (
            INSERT INTO "PublicRequests" ("Id", "Kind", "OrgId", "NormalizedUsername", "ActorKind", "ActorId", "ClientAddress", "CreatedAt", "CorrelationId", "TraceParent")
            SELECT $9, $10, $3, $4, $11, $12, $13, $5, $14, $15 WHERE EXISTS (SELECT 1 FROM t)
        )
        SELECT CASE
            WHEN $1 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM n) THEN 0
            WHEN NOT EXISTS (SELECT 1 FROM t) THEN 1
            ELSE 2 END
        """;

    /// <summary>
    /// Runs <see cref="RecordResendStatement"/> for <paramref name="request"/>, committed with the other doors' statements
    /// of its round (<see cref="DirectWrites.ScalarAsync"/>): <see cref="PublicResendStatus.NonceReplayed"/> when the nonce
    /// was used before (nothing else written), <see cref="PublicResendStatus.Throttled"/> when the throttle holds the user
    /// (the nonce is used up, as in the batched path), otherwise the request is recorded. Statements of one round take
    /// the throttle rows in their key's order.
    /// </summary>
    public static async Task<PublicResendStatus> RecordResendAsync(DirectWrites direct, NonceClaim? nonce, PublicRequest request, RegistrationOptions settings)
    {
        var status = await direct.ScalarAsync(Command, $"{request.OrgId}\n{request.NormalizedUsername}");
        return status switch
        {
            0 => PublicResendStatus.NonceReplayed,
            1 => PublicResendStatus.Throttled,
            _ => PublicResendStatus.Accepted,
        };

        NpgsqlBatchCommand Command()
        {
            var command = new NpgsqlBatchCommand(RecordResendStatement);
            var now = request.CreatedAt;
            command.Parameters.Add(Text(nonce?.Key));
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = nonce is null ? 0 : Time(nonce.ExpiresAt) });
            command.Parameters.Add(Text(request.OrgId));
            command.Parameters.Add(Text(request.NormalizedUsername));
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Time(now) });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Time(now - ResendThrottling.Window) });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = settings.ResendCooldown > TimeSpan.Zero ? Time(now - settings.ResendCooldown) : long.MaxValue });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.MaxResendsPerHour });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = request.Id });
            command.Parameters.Add(Text(request.Kind.ToString()));
            command.Parameters.Add(Text(request.ActorKind.ToString()));
            command.Parameters.Add(Text(request.ActorId));
            command.Parameters.Add(Text(request.ClientAddress));
            command.Parameters.Add(Text(request.CorrelationId));
            command.Parameters.Add(Text(request.TraceParent));
            return command;
        }

        static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
    }
}
