using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

public sealed record PermissionAssignment(string PermissionName, string PermissionId, string AssignmentId);

/// <summary>A user as the Dfns API shows one.</summary>
public sealed record DfnsUser(
    string UserId,
    string Username,
    string Name,
    string Kind,
    string OrgId,
    bool IsActive,
    bool IsRegistered,
    bool IsServiceAccount,
    bool IsSSORequired,
    string CredentialUuid,
    IReadOnlyList<PermissionAssignment> PermissionAssignments);

public sealed record DfnsUserPage(IReadOnlyList<DfnsUser> Items, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? NextPageToken);

/// <summary>
/// What the users API reads and changes, always inside the caller's organization. Invitations, deactivation and
/// reactivation are the registration and user lifecycle services' own methods (the same transaction, email and audit
/// events as the portal's and the command line's), with the service account as the actor. A user of another organization is
/// answered exactly as one that does not exist, after the same work: both leave an access-denied audit event.
/// </summary>
public sealed class UsersApiService(IDbContextFactory<PortalDbContext> contexts, RegistrationService registration, UserLifecycleService lifecycle, WriteQueue writes, TimeProvider time)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 100;

    public async Task<DfnsUserPage> ListAsync(ServiceAccountCaller caller, int limit, string? after, UserKind? kind, string? clientAddress, CancellationToken ct = default)
    {
        List<DfnsUser> items;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var query = db.OrgUsers.AsNoTracking().Where(u => u.OrgId == caller.OrgId);
            if (kind is { } wanted)
            {
                query = query.Where(u => u.Kind == wanted);
            }

            if (after is not null)
            {
                query = query.Where(u => string.Compare(u.NormalizedUsername, after) > 0);
            }

            items = (await Project(db, query.OrderBy(u => u.NormalizedUsername).Take(limit + 1)).ToListAsync(ct)).Select(r => r.ToDfns()).ToList();
        }

        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(items.Count - 1);
            next = PageToken(Shared.EmailAddress.Normalize(items[^1].Username));
        }

        await AuditAsync(caller.OrgId, AuditActions.UsersListed, caller.Actor(clientAddress), null, $"{items.Count} user(s){(kind is { } k ? $", kind {k}" : "")}");
        return new DfnsUserPage(items, next);
    }

    /// <summary>The user, or null when the organization has no such user (audited alike, whether it exists elsewhere or not).</summary>
    public async Task<DfnsUser?> GetAsync(ServiceAccountCaller caller, string userId, string? clientAddress, CancellationToken ct = default)
    {
        var user = await FindAsync(caller.OrgId, userId, ct);
        await AuditAsync(
            caller.OrgId,
            user is null ? AuditActions.AccessDenied : AuditActions.UserRead,
            caller.Actor(clientAddress),
            userId,
            user is null ? "users API: no such user in the organization" : null);
        return user;
    }

    public Task<InviteOutcome> InviteAsync(ServiceAccountCaller caller, string email, UserKind kind, string? clientAddress) =>
        registration.InviteAsync(caller.OrgId, email, kind, caller.Actor(clientAddress));

    public async Task<UserStateOutcome> SetActiveAsync(ServiceAccountCaller caller, string userId, bool active, string? clientAddress)
    {
        var actor = caller.Actor(clientAddress);
        var outcome = Ids.IsValid(userId, Ids.User)
            ? active ? await lifecycle.ReactivateAsync(caller.OrgId, userId, actor) : await lifecycle.DeactivateAsync(caller.OrgId, userId, actor)
            : new UserStateOutcome(UserStateStatus.Unknown);
        if (outcome.Status == UserStateStatus.Unknown)
        {
            await AuditAsync(caller.OrgId, AuditActions.AccessDenied, actor, userId, $"users API {(active ? "activate" : "deactivate")}: no such user in the organization");
        }

        return outcome;
    }

    public async Task<DfnsUser?> FindAsync(string orgId, string userId, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await Project(db, db.OrgUsers.AsNoTracking().Where(u => u.Id == userId && u.OrgId == orgId)).FirstOrDefaultAsync(ct);
        return row?.ToDfns();
    }

    public static string PageToken(string normalizedUsername) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(normalizedUsername));

    /// <summary>The position a page token stands for, or null when it is not one this host made.</summary>
    public static string? ReadPageToken(string token)
    {
        if (token.Length > 1024 || !System.Buffers.Text.Base64Url.IsValid(token))
        {
            return null;
        }

        // A position is a normalized address: text without control characters (a NUL would fail the query on PostgreSQL).
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(token);
        return System.Text.Unicode.Utf8.IsValid(bytes) && System.Text.Encoding.UTF8.GetString(bytes) is var after && !after.Any(char.IsControl) ? after : null;
    }

    private static IQueryable<UserRow> Project(PortalDbContext db, IQueryable<OrgUser> users) =>
        users.Select(u => new UserRow(
            u.Id,
            u.Username,
            u.Kind,
            u.OrgId,
            u.IsActive,
            u.IsRegistered,
            db.Credentials.Where(c => c.UserId == u.Id).OrderBy(c => c.CreatedAt).Select(c => c.Id).FirstOrDefault()));

    private sealed record UserRow(string Id, string Username, UserKind Kind, string OrgId, bool IsActive, bool IsRegistered, string? CredentialId)
    {
        public DfnsUser ToDfns() => new(Id, Username, Username, Kind.ToString(), OrgId, IsActive, IsRegistered, false, false, CredentialId ?? "", []);
    }

    private Task<bool> AuditAsync(string orgId, string action, Actor actor, string? subject, string? details) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), orgId, action, actor, subject, details);
            return Task.FromResult(true);
        });
}
