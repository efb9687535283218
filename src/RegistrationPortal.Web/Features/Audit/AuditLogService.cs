using System.Globalization;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Audit;

/// <param name="Action">One of <see cref="AuditActions.All"/>, or null for every action.</param>
/// <param name="ActorKind">Only events by this kind of actor.</param>
/// <param name="Actor">An actor id (exact), or part of an admin's email.</param>
/// <param name="From">Inclusive.</param>
/// <param name="To">Exclusive.</param>
public sealed record AuditSearch(
    string? Action = null,
    ActorKind? ActorKind = null,
    string? Actor = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Page = 0,
    int PageSize = 25);

/// <summary>One audit event as the portal shows it; <see cref="ActorText"/> and <see cref="SubjectText"/> are for people.</summary>
public sealed record AuditRow(
    long Id,
    DateTimeOffset At,
    string Action,
    string ActorKind,
    string? ActorId,
    string ActorText,
    string? ClientAddress,
    string? SubjectId,
    string? SubjectText,
    string? Details);

/// <param name="TotalIsLowerBound">True when there are more matching events than <see cref="AuditLogService.CountLimit"/>; <see cref="TotalItems"/> is then that limit.</param>
public sealed record AuditEventPage(IReadOnlyList<AuditRow> Items, int TotalItems, bool TotalIsLowerBound);

/// <summary>
/// Reads an organization's audit trail for the portal, newest first, one page at a time: the filters, the
/// ordering and the paging run in the database, and counting stops at <see cref="CountLimit"/>, so a big
/// organization's history is never read into memory. Every call is scoped by <see cref="AdminScope"/>.
/// </summary>
public sealed class AuditLogService(IDbContextFactory<PortalDbContext> contexts, WriteQueue writes, TimeProvider time)
{
    public const int MaxPageSize = 100;

    /// <summary>Counting stops here: beyond it the pager offers the first <c>CountLimit</c> events and the page asks for narrower filters.</summary>
    public const int CountLimit = 10_000;

    /// <summary>At most this many admins match an email fragment in the actor filter.</summary>
    private const int MaxActorMatches = 50;

    public async Task<AuditEventPage> SearchAsync(AdminScope scope, AuditSearch search, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var events = db.AuditEvents.AsNoTracking().Where(e => e.OrgId == scope.OrgId);

        if (!string.IsNullOrWhiteSpace(search.Action))
        {
            events = events.Where(e => e.Action == search.Action);
        }

        if (search.ActorKind is { } kind)
        {
            var kindText = kind.ToString();
            events = events.Where(e => e.ActorKind == kindText);
        }

        if (SearchText.Clean(search.Actor) is { } actor)
        {
            var normalized = actor.ToUpperInvariant();

            // Admins who can appear in this organization's trail: its own and the platform's.
            var adminIds = await db.Users.AsNoTracking()
                .Where(u => (u.OrgId == scope.OrgId || u.OrgId == null) && u.NormalizedEmail != null && u.NormalizedEmail.Contains(normalized))
                .OrderBy(u => u.NormalizedEmail)
                .Select(u => u.Id)
                .Take(MaxActorMatches)
                .ToListAsync(ct);
            events = adminIds.Count == 0
                ? events.Where(e => e.ActorId == actor)
                : events.Where(e => e.ActorId == actor || adminIds.Contains(e.ActorId!));
        }

        if (search.From is { } from)
        {
            events = events.Where(e => e.At >= from);
        }

        if (search.To is { } to)
        {
            events = events.Where(e => e.At < to);
        }

        var counted = await events.Take(CountLimit + 1).CountAsync(ct);
        var pageSize = Math.Clamp(search.PageSize, 1, MaxPageSize);
        var page = await events
            .OrderByDescending(e => e.At)
            .ThenByDescending(e => e.Id)
            .Skip(Math.Max(0, search.Page) * pageSize)
            .Take(pageSize)
            .ToListAsync(ct);

        return new AuditEventPage(await DescribeAsync(db, scope, page, ct), Math.Min(counted, CountLimit), counted > CountLimit);
    }

    /// <summary>One event of the admin's organization; an id of another organization's event gets null, like a missing one, and leaves an audit event.</summary>
    public async Task<AuditRow?> GetAsync(AdminScope scope, long eventId, string? clientAddress, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var found = await db.AuditEvents.AsNoTracking().Where(e => e.Id == eventId && e.OrgId == scope.OrgId).ToListAsync(ct);
        if (found.Count == 0)
        {
            await writes.ExecuteAsync(w =>
            {
                w.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.AccessDenied, Actor.Admin(scope.AdminId, clientAddress),
                    eventId.ToString(CultureInfo.InvariantCulture), "audit event: no such event in the organization");
                return Task.FromResult(true);
            });
            return null;
        }

        return (await DescribeAsync(db, scope, found, ct))[0];
    }

    /// <summary>Names the page's actors and subjects: three small lookups for the whole page, each limited to what the organization may see.</summary>
    private static async Task<IReadOnlyList<AuditRow>> DescribeAsync(PortalDbContext db, AdminScope scope, List<AuditEvent> events, CancellationToken ct)
    {
        var ids = events.Select(e => e.ActorId).Concat(events.Select(e => e.SubjectId)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return events.Select(e => Describe(e, EmptyNames, EmptyNames, EmptyNames)).ToList();
        }

        var admins = await db.Users.AsNoTracking()
            .Where(u => ids.Contains(u.Id) && (u.OrgId == scope.OrgId || u.OrgId == null))
            .Select(u => new { u.Id, u.Email })
            .ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, StringComparer.Ordinal, ct);
        var applications = await db.Applications.AsNoTracking()
            .Where(a => a.OrgId == scope.OrgId && ids.Contains(a.Id))
            .Select(a => new { a.Id, a.Name })
            .ToDictionaryAsync(a => a.Id, a => a.Name, StringComparer.Ordinal, ct);

        // Programs act through the API door as service accounts: named the same way, with what they are.
        foreach (var account in await db.Set<ServiceAccounts.ServiceAccount>().AsNoTracking()
            .Where(a => a.OrgId == scope.OrgId && ids.Contains(a.Id))
            .Select(a => new { a.Id, a.Name })
            .ToListAsync(ct))
        {
            applications[account.Id] = account.Name;
        }

        var users = await db.OrgUsers.AsNoTracking()
            .Where(u => u.OrgId == scope.OrgId && ids.Contains(u.Id))
            .Select(u => new { u.Id, u.Username })
            .ToDictionaryAsync(u => u.Id, u => u.Username, StringComparer.Ordinal, ct);
        return events.Select(e => Describe(e, admins, applications, users)).ToList();
    }

    private static readonly Dictionary<string, string> EmptyNames = new(StringComparer.Ordinal);

    private static bool IsServiceAccount(string? id) => Ids.IsValid(id, ServiceAccounts.ServiceAccount.IdPrefix);

    private static AuditRow Describe(AuditEvent e, Dictionary<string, string> admins, Dictionary<string, string> applications, Dictionary<string, string> users)
    {
        var actor = e.ActorKind switch
        {
            nameof(ActorKind.Admin) when e.ActorId is not null && admins.TryGetValue(e.ActorId, out var email) => email,
            nameof(ActorKind.Admin) => $"Removed admin {e.ActorId}",
            nameof(ActorKind.ApiApplication) when IsServiceAccount(e.ActorId) && applications.TryGetValue(e.ActorId!, out var account) => $"Service account: {account}",
            nameof(ActorKind.ApiApplication) when e.ActorId is not null && applications.TryGetValue(e.ActorId, out var name) => $"API: {name}",
            nameof(ActorKind.ApiApplication) when e.ActorId is not null => $"API: {e.ActorId}",
            nameof(ActorKind.ApiApplication) => "API client (no application id)",
            nameof(ActorKind.SelfService) when e.ActorId == Actor.RegisterPageDoor => "Register page",
            nameof(ActorKind.SelfService) => "Self-service page",
            nameof(ActorKind.System) => e.ActorId is null ? "System" : $"System ({e.ActorId})",
            _ => e.ActorId ?? e.ActorKind,
        };

        string? subject = null;
        if (e.SubjectId is { } subjectId)
        {
            subject = users.TryGetValue(subjectId, out var username) ? username
                : applications.TryGetValue(subjectId, out var appName) ? (IsServiceAccount(subjectId) ? $"Service account {appName}" : $"Application {appName}")
                : admins.TryGetValue(subjectId, out var adminEmail) ? $"Admin {adminEmail}"
                : null;
        }

        return new AuditRow(e.Id, e.At, e.Action, e.ActorKind, e.ActorId, actor, e.ClientAddress, e.SubjectId, subject, e.Details);
    }
}

public static class AuditSetup
{
    public static IHostApplicationBuilder AddAuditLog(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLogService>();
        return builder;
    }
}
