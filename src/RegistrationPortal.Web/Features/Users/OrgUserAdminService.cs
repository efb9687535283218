using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

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

/// <summary>
/// One page of users. <see cref="TotalItems"/> is exact unless <see cref="MoreThanTotal"/>: counting a million rows
/// costs more than the page itself, so counting stops <see cref="OrgUserAdminService.CountLimit"/> users past the
/// page (<see cref="OrgUserAdminService.SearchCountLimit"/> for a search), and the page then says "more than
/// <see cref="TotalItems"/>"; paging on moves the limit along.
/// </summary>
public sealed record UserPage(IReadOnlyList<UserRow> Items, int TotalItems, bool MoreThanTotal = false);

/// <summary>What the admin portal does with an organization's users; every call is scoped by <see cref="AdminScope"/>.</summary>
public sealed class OrgUserAdminService(
    IDbContextFactory<PortalDbContext> contexts,
    RegistrationService registration,
    WriteQueue writes,
    TimeProvider time,
    IOptionsMonitor<RegistrationOptions> options)
{
    public const int MaxPageSize = 100;

    /// <summary>How many users past the current page are counted before the total is shown as "more than".</summary>
    public const int CountLimit = 10_000;

    /// <summary>
    /// The same for a search, whose count looks up each match: past a thousand matches the admin learns "more than
    /// 1,000" and narrows the search, rather than waiting for an exact figure.
    /// </summary>
    public const int SearchCountLimit = 1_000;

    /// <summary>Up to this many users (after the status and date filters), a search's count tests each of them.</summary>
    private const int SmallOrganization = 20_000;

    /// <summary>Deep enough for any real paging, small enough that the offset cannot overflow.</summary>
    private const int MaxPage = 1_000_000;

    public async Task<UserPage> SearchAsync(AdminScope scope, UserSearch search, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var (pageSize, offset) = PageOf(search);
        var term = TermOf(search);
        var rare = term is not null && await UserTextSearch.IsRareAsync(db, term, ct);
        var rows = await PageQuery(db, scope, search, lookup: rare).ToListAsync(ct);
        var items = rows.Select(r => new UserRow(r.Id, r.Username, r.Kind, StatusOf(r.IsActive, r.IsRegistered), r.CreatedAt, r.LastCodeSentAt, r.CodeExpiresAt, r.LastDelivery, r.CredentialCreatedAt)).ToList();

        // A page that is not full ends the list, so the total is known without counting.
        if (rows.Count < pageSize && (rows.Count > 0 || offset == 0))
        {
            return new UserPage(items, offset + rows.Count);
        }

        var bound = offset + CountLimitOf(search);
        var fromMatches = rare || (term is not null && await CountFromMatchesAsync(db, scope, search, term, ct));
        var counted = await CountQuery(db, scope, search, fromMatches).CountAsync(ct);
        return counted > bound ? new UserPage(items, bound, MoreThanTotal: true) : new UserPage(items, counted);
    }

    /// <summary>The rows of the requested page, with what the grid shows of each user's codes and mail.</summary>
    internal static IQueryable<UserRowData> PageQuery(PortalDbContext db, AdminScope scope, UserSearch search, bool lookup)
    {
        var (pageSize, offset) = PageOf(search);
        return Sorted(Filtered(db, scope, search, lookup), search)
            .Skip(offset)
            .Take(pageSize)
            .Select(u => new UserRowData(
                u.Id,
                u.Username,
                u.Kind,
                u.IsActive,
                u.IsRegistered,
                u.CreatedAt,
                db.RegistrationCodes.Where(c => c.UserId == u.Id).OrderByDescending(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.CreatedAt).FirstOrDefault(),
                db.RegistrationCodes.Where(c => c.UserId == u.Id && c.UsedAt == null && c.InvalidatedAt == null).OrderByDescending(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.ExpiresAt).FirstOrDefault(),
                db.OutboxMessages.Where(m => m.UserId == u.Id).OrderByDescending(m => m.CreatedAt).Select(m => (OutboxStatus?)m.Status).FirstOrDefault(),
                db.Credentials.Where(c => c.UserId == u.Id).OrderBy(c => c.CreatedAt).Select(c => (DateTimeOffset?)c.CreatedAt).FirstOrDefault()));
    }

    /// <summary>The matching users, counted at most <see cref="CountLimit"/> (<see cref="SearchCountLimit"/>) past the page; one more says "more than".</summary>
    internal static IQueryable<OrgUser> CountQuery(PortalDbContext db, AdminScope scope, UserSearch search, bool lookup)
    {
        var (_, offset) = PageOf(search);
        return Filtered(db, scope, search, lookup).Take(offset + CountLimitOf(search) + 1);
    }

    /// <summary>
    /// Whether to count a common term's matches from the index rather than by testing the organization's users. The
    /// index's matches are in no particular organization's order, so counting from them can read many matches of
    /// other organizations; testing reads this organization's users only. Testing wins in a small organization (it
    /// never pays for a large one beside it), counting from the index in a large one (it stops after the limit's
    /// worth of matches).
    /// </summary>
    private static async Task<bool> CountFromMatchesAsync(PortalDbContext db, AdminScope scope, UserSearch search, string term, CancellationToken ct)
    {
        if (!UserTextSearch.IsIndexed(db, term))
        {
            return false;
        }

        var candidates = await Filtered(db, scope, search with { Text = null }, lookup: false).Take(SmallOrganization + 1).CountAsync(ct);
        return candidates > SmallOrganization;
    }

    private static int CountLimitOf(UserSearch search) => TermOf(search) is null ? CountLimit : SearchCountLimit;

    private static string? TermOf(UserSearch search) =>
        SearchText.Clean(search.Text) is { } text ? EmailAddress.Normalize(text) : null;

    private static (int PageSize, int Offset) PageOf(UserSearch search)
    {
        var pageSize = Math.Clamp(search.PageSize, 1, MaxPageSize);
        return (pageSize, Math.Clamp(search.Page, 0, MaxPage) * pageSize);
    }

    /// <summary>The admin's organization's users that match the search's text, status and creation filters.</summary>
    internal static IQueryable<OrgUser> Filtered(PortalDbContext db, AdminScope scope, UserSearch search, bool lookup)
    {
        var users = TermOf(search) is { } term ? UserTextSearch.Matching(db, term, lookup) : db.OrgUsers;
        users = users.AsNoTracking().Where(u => u.OrgId == scope.OrgId).WithStatus(search.Status);

        if (search.CreatedFrom is { } from)
        {
            users = users.Where(u => u.CreatedAt >= from);
        }

        if (search.CreatedTo is { } to)
        {
            users = users.Where(u => u.CreatedAt < to);
        }

        return users;
    }

    /// <summary>
    /// The order of the page. Creation time ties are broken by id so that pages neither repeat nor skip a user; email
    /// is unique within an organization, so its index order is complete on its own.
    /// </summary>
    internal static IQueryable<OrgUser> Sorted(IQueryable<OrgUser> users, UserSearch search) => (search.Sort, search.Descending) switch
    {
        (UserSort.Email, false) => users.OrderBy(u => u.NormalizedUsername),
        (UserSort.Email, true) => users.OrderByDescending(u => u.NormalizedUsername),
        (UserSort.Kind, false) => users.OrderBy(u => u.Kind).ThenBy(u => u.NormalizedUsername),
        (UserSort.Kind, true) => users.OrderByDescending(u => u.Kind).ThenBy(u => u.NormalizedUsername),
        (_, false) => users.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id),
        _ => users.OrderByDescending(u => u.CreatedAt).ThenBy(u => u.Id),
    };

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

    /// <summary>
    /// Until when the per-user cooldown after the last resend (the public doors' or an admin's), or the cap per hour, runs
    /// for this user. Null when they would send one now, or when the id is not a user of
    /// the admin's organization. An admin's resend is not held back by it (<see cref="RegistrationService.ResendAsync"/>
    /// overrides it and audits that); the portal warns before it does.
    /// </summary>
    public async Task<DateTimeOffset?> ResendCooldownEndsAsync(AdminScope scope, string userId, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var user = db.OrgUsers.AsNoTracking().Where(u => u.Id == userId && u.OrgId == scope.OrgId);
        var publicThrottle = await (
            from u in user
            join t in db.ResendThrottles.AsNoTracking() on new { u.OrgId, u.NormalizedUsername } equals new { t.OrgId, t.NormalizedUsername }
            select t).FirstOrDefaultAsync(ct);
        var adminThrottle = await (
            from u in user
            join t in db.AdminResendThrottles.AsNoTracking() on new { u.OrgId, u.NormalizedUsername } equals new { t.OrgId, t.NormalizedUsername }
            select t).FirstOrDefaultAsync(ct);
        var now = time.GetUtcNow();
        return ResendThrottling.Check(publicThrottle, adminThrottle, now, options.CurrentValue) is { } wait ? now + wait : null;
    }

    internal sealed record UserRowData(
        string Id,
        string Username,
        UserKind Kind,
        bool IsActive,
        bool IsRegistered,
        DateTimeOffset CreatedAt,
        DateTimeOffset? LastCodeSentAt,
        DateTimeOffset? CodeExpiresAt,
        OutboxStatus? LastDelivery,
        DateTimeOffset? CredentialCreatedAt);

    internal static UserStatus StatusOf(bool isActive, bool isRegistered) =>
        isRegistered ? UserStatus.Registered : isActive ? UserStatus.Pending : UserStatus.Deactivated;

    private Task<bool> AuditDeniedAsync(AdminScope scope, Actor actor, string subjectId, string what) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.AccessDenied, actor, subjectId, $"{what}: no such user in the organization");
            return Task.FromResult(true);
        });
}
