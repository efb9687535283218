using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Users;

/// <summary>The bulk writer's rows must be byte for byte what EF's SaveChanges writes, or EF's own queries miss them.</summary>
public sealed class PreparedInsertTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private WriteQueue Writes => portal.Provider.GetRequiredService<WriteQueue>();

    [Fact]
    public async Task A_code_and_its_email_are_stored_exactly_as_ef_stores_them()
    {
        var org = await portal.CreateOrganizationAsync();
        var userId = await portal.InviteAsync(org, "prepared@insert.example");
        var now = new DateTimeOffset(2026, 11, 25, 12, 34, 56, 789, TimeSpan.Zero);
        var codeId = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        var messageId = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c");
        RegistrationCode Code() => new()
        {
            Id = codeId,
            OrgId = org,
            UserId = userId,
            CodeHash = [1, 2, 3, 250],
            CreatedAt = now,
            ExpiresAt = now.AddDays(3),
            InvalidatedAt = now.AddHours(1),
            InvalidatedReason = "replaced",
            IssuedThrough = ActorKind.Admin,
            IssuedBy = "admin-1",
            FailedAttempts = 2,
        };
        OutboxMessage Message() => new()
        {
            Id = messageId,
            OrgId = org,
            UserId = userId,
            CodeId = codeId,
            ToAddress = "prepared@insert.example",
            ProtectedPayload = "payload",
            Status = OutboxStatus.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        };

        var byEf = await RowsWrittenAsync(async db =>
        {
            db.RegistrationCodes.Add(Code());
            db.OutboxMessages.Add(Message());
            await db.SaveChangesAsync();
        });
        var byInsert = await RowsWrittenAsync(async db =>
        {
            await using var codes = PreparedInsert<RegistrationCode>.Create(db);
            await codes.InsertAsync(Code());
            await using var messages = PreparedInsert<OutboxMessage>.Create(db);
            await messages.InsertAsync(Message());
        });

        Assert.Equal(byEf, byInsert);
        Assert.EndsWith("found by EF: 1 code, 1 message", byInsert, StringComparison.Ordinal);

        async Task<string> RowsWrittenAsync(Func<PortalDbContext, Task> write) => await Writes.ExecuteAsync(async db =>
        {
            await write(db);
            // The rows as stored, and whether EF's own queries (Guid, time and enum parameters) find them.
            var rows = await QuoteAsync(db, "RegistrationCodes", $"Id = '{codeId.ToString().ToUpperInvariant()}'")
                + await QuoteAsync(db, "OutboxMessages", $"Id = '{messageId.ToString().ToUpperInvariant()}'")
                + $"found by EF: {await db.RegistrationCodes.CountAsync(c => c.Id == codeId && c.ExpiresAt > now && c.IssuedThrough == ActorKind.Admin)} code, "
                + $"{await db.OutboxMessages.CountAsync(m => m.CodeId == codeId && m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now)} message";
            await db.OutboxMessages.Where(m => m.Id == messageId).ExecuteDeleteAsync();
            await db.RegistrationCodes.Where(c => c.Id == codeId).ExecuteDeleteAsync();
            return rows;
        });
    }

    [Fact]
    public async Task An_audit_event_gets_its_id_from_the_database_and_a_throttle_counter_is_updated_in_place()
    {
        var org = await portal.CreateOrganizationAsync();
        var at = new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
        var actor = Actor.Admin("admin-7", "10.0.0.1");

        var (viaEf, viaInsert, counters) = await Writes.ExecuteAsync(async db =>
        {
            db.Audit(at, org, AuditActions.ResendThrottled, actor, "us-subject", "retry after 30 s");
            await db.SaveChangesAsync();
            await using (var audits = PreparedInsert<AuditEvent>.Create(db))
            {
                await audits.InsertAsync(AuditExtensions.Event(at, org, AuditActions.ResendThrottled, actor, "us-subject", "retry after 30 s"));
            }

            await using (var throttles = PreparedInsert<ResendThrottle>.Create(db, upsert: true))
            {
                await throttles.InsertAsync(new ResendThrottle { OrgId = org, NormalizedUsername = "X@Y.EXAMPLE", LastRequestAt = at, WindowStartedAt = at, WindowCount = 1 });
                await throttles.InsertAsync(new ResendThrottle { OrgId = org, NormalizedUsername = "X@Y.EXAMPLE", LastRequestAt = at.AddMinutes(2), WindowStartedAt = at, WindowCount = 2 });
            }

            var events = await db.AuditEvents.AsNoTracking().Where(a => a.OrgId == org && a.Action == AuditActions.ResendThrottled).OrderBy(a => a.Id).ToListAsync();
            return (events[0], events[1], await db.ResendThrottles.AsNoTracking().Where(t => t.OrgId == org).ToListAsync());
        });

        Assert.Equal(viaEf.Id + 1, viaInsert.Id);
        Assert.Equal(viaEf, viaInsert, AuditEquality.Instance);
        var counter = Assert.Single(counters);
        Assert.Equal((at.AddMinutes(2), at, 2), (counter.LastRequestAt, counter.WindowStartedAt, counter.WindowCount));
    }

    private static async Task<string> QuoteAsync(PortalDbContext db, string table, string where)
    {
        var connection = db.Database.GetDbConnection();
        await using var columns = connection.CreateCommand();
        columns.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        columns.CommandText = $"SELECT group_concat('quote(\"' || name || '\")', ' || ''|'' || ') FROM pragma_table_info('{table}')";
        var expression = (string)(await columns.ExecuteScalarAsync())!;
        await using var row = connection.CreateCommand();
        row.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        row.CommandText = $"SELECT {expression} FROM \"{table}\" WHERE {where}";
        return (string?)await row.ExecuteScalarAsync() ?? $"(no {table} row)";
    }

    /// <summary>Everything an audit event says, its id aside.</summary>
    private sealed class AuditEquality : IEqualityComparer<AuditEvent>
    {
        public static readonly AuditEquality Instance = new();

        public bool Equals(AuditEvent? x, AuditEvent? y) =>
            (x?.At, x?.OrgId, x?.Action, x?.ActorKind, x?.ActorId, x?.ClientAddress, x?.SubjectId, x?.Details)
            == (y?.At, y?.OrgId, y?.Action, y?.ActorKind, y?.ActorId, y?.ClientAddress, y?.SubjectId, y?.Details);

        public int GetHashCode(AuditEvent obj) => obj.Action.GetHashCode(StringComparison.Ordinal);
    }
}
