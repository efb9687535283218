using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

public enum CodeState
{
    /// <summary>Unused, not invalidated, not expired: the user can register with it now.</summary>
    Active,
    Used,
    Invalidated,
    Expired,
}

/// <summary>One code as an admin may see it: when, through which door, by whom, and what became of it. Never the code or its hash.</summary>
public sealed record CodeHistoryRow(
    DateTimeOffset IssuedAt,
    ActorKind IssuedThrough,
    string IssuedBy,
    DateTimeOffset ExpiresAt,
    CodeState State,
    DateTimeOffset? UsedAt,
    DateTimeOffset? InvalidatedAt,
    string? InvalidatedReason);

public sealed record DeliveryRow(
    DateTimeOffset QueuedAt,
    string ToAddress,
    OutboxStatus Status,
    int Attempts,
    DateTimeOffset? LastAttemptAt,
    string? LastError,
    DateTimeOffset? SentAt);

/// <summary>A registered credential as an admin may see it: what kind, its name, when, and which authenticator model made it.</summary>
public sealed record CredentialRow(string Id, string Kind, string Name, DateTimeOffset CreatedAt, Guid? Aaguid, string? AttestationFormat, string? Transports);

public sealed record UserDetail(
    string Id,
    string Email,
    UserKind Kind,
    UserStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RegisteredAt,
    IReadOnlyList<CodeHistoryRow> Codes,
    int TotalCodes,
    IReadOnlyList<DeliveryRow> Deliveries,
    int TotalDeliveries,
    IReadOnlyList<CredentialRow> Credentials);

public sealed record AuditRow(DateTimeOffset At, string Action, string Actor, string? Details);

public sealed record AuditRowPage(IReadOnlyList<AuditRow> Items, int TotalItems);

/// <summary>
/// One user of an organization as the admin portal shows it, and the actions on that user. Every call is scoped by
/// <see cref="AdminScope"/>: a user id of another organization is answered exactly like an id that does not exist,
/// and leaves an <c>AccessDenied</c> audit event. Codes are made and invalidated by <see cref="Registration.RegistrationService"/> only.
/// </summary>
public sealed class OrgUserDetailService(
    IDbContextFactory<PortalDbContext> contexts,
    UserLifecycleService lifecycle,
    WriteQueue writes,
    TimeProvider time)
{
    /// <summary>How many codes and messages the page lists (newest first); a user past the resend throttle has few.</summary>
    public const int HistoryLimit = 50;

    public const int MaxAuditPageSize = 100;

    /// <summary>The user with their code history and email deliveries, or null (audited) when they are not in the admin's organization.</summary>
    public async Task<UserDetail?> GetAsync(AdminScope scope, string userId, string? clientAddress, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = await db.OrgUsers.AsNoTracking()
            .Where(u => u.Id == userId && u.OrgId == scope.OrgId)
            .Select(u => new { u.Id, u.Username, u.Kind, u.IsActive, u.IsRegistered, u.CreatedAt, u.RegisteredAt })
            .FirstOrDefaultAsync(ct);
        if (user is null)
        {
            await DenyAsync(scope, userId, clientAddress, "view");
            return null;
        }

        // The hash is never selected: what leaves this method cannot carry it.
        var codes = await db.RegistrationCodes.AsNoTracking()
            .Where(c => c.UserId == userId)
            .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)
            .Take(HistoryLimit)
            .Select(c => new { c.CreatedAt, c.IssuedThrough, c.IssuedBy, c.ExpiresAt, c.UsedAt, c.InvalidatedAt, c.InvalidatedReason })
            .ToListAsync(ct);
        var totalCodes = codes.Count < HistoryLimit ? codes.Count : await db.RegistrationCodes.CountAsync(c => c.UserId == userId, ct);

        var deliveries = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.UserId == userId)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id)
            .Take(HistoryLimit)
            .Select(m => new DeliveryRow(m.CreatedAt, m.ToAddress, m.Status, m.Attempts, m.LastAttemptAt, m.LastError, m.SentAt))
            .ToListAsync(ct);
        var totalDeliveries = deliveries.Count < HistoryLimit ? deliveries.Count : await db.OutboxMessages.CountAsync(m => m.UserId == userId, ct);

        // A user registers once, so a handful at most; the public key is not selected (the page has no use for it).
        var credentials = await db.Credentials.AsNoTracking()
            .Where(c => c.UserId == userId && c.OrgId == scope.OrgId)
            .OrderByDescending(c => c.CreatedAt).ThenBy(c => c.Id)
            .Take(HistoryLimit)
            .Select(c => new CredentialRow(c.Id, c.Kind, c.Name, c.CreatedAt, c.Aaguid, c.AttestationFormat, c.Transports))
            .ToListAsync(ct);

        var admins = await AdminEmailsAsync(db, scope.OrgId, codes.Where(c => c.IssuedThrough == ActorKind.Admin).Select(c => c.IssuedBy), ct);
        var now = time.GetUtcNow();
        var history = codes.Select(c => new CodeHistoryRow(
                c.CreatedAt,
                c.IssuedThrough,
                Describe(c.IssuedThrough, c.IssuedBy, admins, withSystemId: false),
                c.ExpiresAt,
                c.UsedAt is not null ? CodeState.Used : c.InvalidatedAt is not null ? CodeState.Invalidated : c.ExpiresAt <= now ? CodeState.Expired : CodeState.Active,
                c.UsedAt,
                c.InvalidatedAt,
                c.InvalidatedReason))
            .ToList();

        return new UserDetail(
            user.Id,
            user.Username,
            user.Kind,
            OrgUserAdminService.StatusOf(user.IsActive, user.IsRegistered),
            user.CreatedAt,
            user.RegisteredAt,
            history,
            totalCodes,
            deliveries,
            totalDeliveries,
            credentials);
    }

    /// <summary>The user's audit events in the admin's organization, newest first, one page at a time.</summary>
    public async Task<AuditRowPage> AuditAsync(AdminScope scope, string userId, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.OrgUsers.AnyAsync(u => u.Id == userId && u.OrgId == scope.OrgId, ct))
        {
            return new AuditRowPage([], 0);
        }

        // Only events recorded in this organization: another organization's refused guesses at this id are theirs.
        var events = db.AuditEvents.AsNoTracking().Where(a => a.OrgId == scope.OrgId && a.SubjectId == userId);
        var total = await events.CountAsync(ct);
        var size = Math.Clamp(pageSize, 1, MaxAuditPageSize);
        var rows = await events
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Skip(Math.Max(0, page) * size)
            .Take(size)
            .Select(a => new { a.At, a.Action, a.ActorKind, a.ActorId, a.Details })
            .ToListAsync(ct);

        var admins = await AdminEmailsAsync(db, scope.OrgId, rows.Where(r => r.ActorKind == nameof(ActorKind.Admin)).Select(r => r.ActorId), ct);
        return new AuditRowPage(
            rows.Select(r => new AuditRow(
                    r.At,
                    r.Action,
                    Enum.TryParse<ActorKind>(r.ActorKind, out var kind) ? Describe(kind, r.ActorId, admins, withSystemId: true) : r.ActorKind,
                    r.Details))
                .ToList(),
            total);
    }

    public async Task<UserStateOutcome> DeactivateAsync(AdminScope scope, string userId, string? clientAddress)
    {
        var outcome = await lifecycle.DeactivateAsync(scope.OrgId, userId, Actor.Admin(scope.AdminId, clientAddress));
        if (outcome.Status == UserStateStatus.Unknown)
        {
            await DenyAsync(scope, userId, clientAddress, "deactivate");
        }

        return outcome;
    }

    public async Task<UserStateOutcome> ReactivateAsync(AdminScope scope, string userId, string? clientAddress)
    {
        var outcome = await lifecycle.ReactivateAsync(scope.OrgId, userId, Actor.Admin(scope.AdminId, clientAddress));
        if (outcome.Status == UserStateStatus.Unknown)
        {
            await DenyAsync(scope, userId, clientAddress, "reactivate");
        }

        return outcome;
    }

    public async Task<CorrectEmailOutcome> CorrectEmailAsync(AdminScope scope, string userId, string newEmail, string? clientAddress)
    {
        var outcome = await lifecycle.CorrectEmailAsync(scope.OrgId, userId, newEmail, Actor.Admin(scope.AdminId, clientAddress));
        if (outcome.Status == CorrectEmailStatus.Unknown)
        {
            await DenyAsync(scope, userId, clientAddress, "correct email");
        }

        return outcome;
    }

    /// <summary>Who asked, in words: an admin's email, an application id, "self-service" or "system".</summary>
    public static string Describe(ActorKind kind, string? id, IReadOnlyDictionary<string, string> adminEmails, bool withSystemId) => kind switch
    {
        ActorKind.Admin when id is not null && adminEmails.TryGetValue(id, out var email) => email,
        ActorKind.Admin => "a removed admin",
        ActorKind.ApiApplication => id ?? "API (no application id)",
        ActorKind.SelfService => "self-service",
        _ => withSystemId && !string.IsNullOrEmpty(id) ? $"system ({id})" : "system",
    };

    /// <summary>
    /// The addresses of the admins among <paramref name="ids"/> who are this organization's or the platform's: an id of
    /// another organization's admin (none is recorded here today) shows as a removed admin, never as their address.
    /// </summary>
    private static async Task<Dictionary<string, string>> AdminEmailsAsync(PortalDbContext db, string orgId, IEnumerable<string?> ids, CancellationToken ct)
    {
        var wanted = ids.OfType<string>().Distinct().ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        var admins = await db.Users.AsNoTracking()
            .Where(u => wanted.Contains(u.Id) && (u.OrgId == orgId || u.OrgId == null))
            .Select(u => new { u.Id, u.Email, u.UserName })
            .ToListAsync(ct);
        return admins.ToDictionary(a => a.Id, a => a.Email ?? a.UserName ?? a.Id);
    }

    private Task<bool> DenyAsync(AdminScope scope, string userId, string? clientAddress, string what) =>
        PortalDenials.AuditAsync(writes, time, scope.OrgId, Actor.Admin(scope.AdminId, clientAddress), userId, $"{what}: no such user in the organization");
}
