using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Users;

public enum UserStatus
{
    Pending,
    Registered,
    Deactivated,
}

public enum UserStatusFilter
{
    Pending,
    Registered,
    Deactivated,
    All,
}

public enum UserSort
{
    Created,
    Email,
    Kind,
}

public sealed record UserSearch(
    string? Text = null,
    UserStatusFilter Status = UserStatusFilter.Pending,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    UserSort Sort = UserSort.Created,
    bool Descending = true,
    int Page = 0,
    int PageSize = 25);

public sealed record UserRow(
    string Id,
    string Email,
    UserKind Kind,
    UserStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastCodeSentAt,
    DateTimeOffset? CodeExpiresAt,
    OutboxStatus? LastDelivery,
    DateTimeOffset? CredentialCreatedAt = null);

public sealed record UserPage(IReadOnlyList<UserRow> Items, int TotalItems);

/// <summary>What the admin portal does with an organization's users; every call is scoped by <see cref="AdminScope"/>.</summary>
public sealed class OrgUserAdminService(
    IDbContextFactory<PortalDbContext> contexts,
    RegistrationService registration,
    WriteQueue writes,
    TimeProvider time)
{
    public const int MaxPageSize = 100;

    public async Task<UserPage> SearchAsync(AdminScope scope, UserSearch search, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var users = db.OrgUsers.AsNoTracking().Where(u => u.OrgId == scope.OrgId);

        users = search.Status switch
        {
            UserStatusFilter.Pending => users.Where(u => u.IsActive && !u.IsRegistered),
            UserStatusFilter.Registered => users.Where(u => u.IsRegistered),
            UserStatusFilter.Deactivated => users.Where(u => !u.IsActive && !u.IsRegistered),
            _ => users,
        };

        if (!string.IsNullOrWhiteSpace(search.Text))
        {
            var term = EmailAddress.Normalize(search.Text);
            users = users.Where(u => u.NormalizedUsername.Contains(term));
        }

        if (search.CreatedFrom is { } from)
        {
            users = users.Where(u => u.CreatedAt >= from);
        }

        if (search.CreatedTo is { } to)
        {
            users = users.Where(u => u.CreatedAt < to);
        }

        var total = await users.CountAsync(ct);

        users = (search.Sort, search.Descending) switch
        {
            (UserSort.Email, false) => users.OrderBy(u => u.NormalizedUsername),
            (UserSort.Email, true) => users.OrderByDescending(u => u.NormalizedUsername),
            (UserSort.Kind, false) => users.OrderBy(u => u.Kind).ThenBy(u => u.NormalizedUsername),
            (UserSort.Kind, true) => users.OrderByDescending(u => u.Kind).ThenBy(u => u.NormalizedUsername),
            (_, false) => users.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id),
            _ => users.OrderByDescending(u => u.CreatedAt).ThenBy(u => u.Id),
        };

        var pageSize = Math.Clamp(search.PageSize, 1, MaxPageSize);
        var rows = await users
            .Skip(Math.Max(0, search.Page) * pageSize)
            .Take(pageSize)
            .Select(u => new
            {
                u.Id,
                u.Username,
                u.Kind,
                u.IsActive,
                u.IsRegistered,
                u.CreatedAt,
                LastCodeSentAt = db.RegistrationCodes.Where(c => c.UserId == u.Id).OrderByDescending(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.CreatedAt).FirstOrDefault(),
                CodeExpiresAt = db.RegistrationCodes.Where(c => c.UserId == u.Id && c.UsedAt == null && c.InvalidatedAt == null).OrderByDescending(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.ExpiresAt).FirstOrDefault(),
                LastDelivery = db.OutboxMessages.Where(m => m.UserId == u.Id).OrderByDescending(m => m.CreatedAt).Select(m => (OutboxStatus?)m.Status).FirstOrDefault(),
                CredentialCreatedAt = db.Credentials.Where(c => c.UserId == u.Id).OrderBy(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.CreatedAt).FirstOrDefault(),
            })
            .ToListAsync(ct);

        return new UserPage(
            rows.Select(r => new UserRow(r.Id, r.Username, r.Kind, StatusOf(r.IsActive, r.IsRegistered), r.CreatedAt, r.LastCodeSentAt, r.CodeExpiresAt, r.LastDelivery, r.CredentialCreatedAt)).ToList(),
            total);
    }

    /// <summary>
    /// Resends the code of one user of the admin's organization and returns the true outcome. A user id of
    /// another organization gets <see cref="ResendStatus.Unknown"/>, exactly like an id that does not exist,
    /// and leaves an audit event.
    /// </summary>
    public async Task<ResendOutcome> ResendAsync(AdminScope scope, string userId, string? clientAddress)
    {
        var actor = Actor.Admin(scope.AdminId, clientAddress);
        string? email;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            email = await db.OrgUsers.AsNoTracking()
                .Where(u => u.Id == userId && u.OrgId == scope.OrgId)
                .Select(u => u.Username)
                .FirstOrDefaultAsync();
        }

        if (email is null)
        {
            await AuditDeniedAsync(scope, actor, userId, "resend");
            return new ResendOutcome(ResendStatus.Unknown);
        }

        return await registration.ResendAsync(scope.OrgId, email, actor);
    }

    internal static UserStatus StatusOf(bool isActive, bool isRegistered) =>
        isRegistered ? UserStatus.Registered : isActive ? UserStatus.Pending : UserStatus.Deactivated;

    private Task<bool> AuditDeniedAsync(AdminScope scope, Actor actor, string subjectId, string what) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.AccessDenied, actor, subjectId[..Math.Min(subjectId.Length, 64)], $"{what}: no such user in the organization");
            return Task.FromResult(true);
        });
}
