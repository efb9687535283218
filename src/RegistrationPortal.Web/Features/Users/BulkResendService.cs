using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>Whom a bulk resend is for.</summary>
public abstract record BulkResendTarget
{
    private BulkResendTarget()
    {
    }

    /// <summary>Users the admin ticked in the grid (any status: those no longer pending are skipped and counted).</summary>
    public sealed record Selected(IReadOnlyCollection<string> UserIds) : BulkResendTarget
    {
        public override string Describe() => $"{UserIds.Count:N0} selected users";
    }

    /// <summary>Everyone still pending who was invited more than <see cref="Days"/> days ago.</summary>
    public sealed record PendingLongerThan(int Days) : BulkResendTarget
    {
        public override string Describe() => $"everyone pending for more than {Days:N0} days";
    }

    public abstract string Describe();
}

/// <summary>
/// What a bulk resend would do if started now: <see cref="WillSend"/> codes sent, the others skipped for the reason
/// counted. Registered and deactivated users can only be among selected ones.
/// </summary>
public sealed record BulkResendPreview(int Users, int WillSend, int Throttled, int AlreadyRegistered, int Deactivated, int NotFound)
{
    /// <summary>
    /// Of those who will get a code, how many were invited within the resend cooldown: their invitation has barely
    /// arrived, and the new code would replace it.
    /// </summary>
    public int InvitedWithinCooldown { get; init; }

    public int Skipped => Users - WillSend;
}

/// <summary>The database side of a bulk resend: its preview and the users it goes through, scoped by <see cref="AdminScope"/>.</summary>
public sealed class BulkResendService(
    IDbContextFactory<PortalDbContext> contexts,
    TimeProvider time,
    IOptionsMonitor<RegistrationOptions> options)
{
    /// <summary>Users per query of a selection and per write of a job.</summary>
    public const int BatchSize = 250;

    /// <summary>The most a selection may hold (a grid page holds 100; this leaves room for selections across pages).</summary>
    public const int MaxSelected = 10_000;

    public const int MaxDays = 3650;

    public async Task<BulkResendPreview> PreviewAsync(AdminScope scope, BulkResendTarget target, CancellationToken ct = default)
    {
        Validate(target);
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);

        if (target is BulkResendTarget.PendingLongerThan older)
        {
            // Counted in the database: only the numbers leave it, however large the organization.
            var pending = Checks(db, PendingLongerThan(db, scope, older.Days, now), now);
            var users = await pending.CountAsync(ct);
            var throttled = await pending.CountAsync(c => c.Throttled, ct);
            var justInvited = await pending.CountAsync(c => c.JustInvited && !c.Throttled, ct);
            return new BulkResendPreview(users, users - throttled, throttled, 0, 0, 0) { InvitedWithinCooldown = justInvited };
        }

        var ids = ((BulkResendTarget.Selected)target).UserIds.Distinct(StringComparer.Ordinal).ToList();
        int willSend = 0, throttledCount = 0, registered = 0, deactivated = 0, found = 0, invitedRecently = 0;
        foreach (var batch in ids.Chunk(BatchSize))
        {
            var rows = await Checks(db, db.OrgUsers.AsNoTracking().Where(u => u.OrgId == scope.OrgId && batch.Contains(u.Id)), now).ToListAsync(ct);
            found += rows.Count;

            // The same order of checks as the resend itself: the throttle first, then the user's status.
            foreach (var row in rows)
            {
                if (row.Throttled)
                {
                    throttledCount++;
                }
                else if (row.IsRegistered)
                {
                    registered++;
                }
                else if (!row.IsActive)
                {
                    deactivated++;
                }
                else
                {
                    willSend++;
                    invitedRecently += row.JustInvited ? 1 : 0;
                }
            }
        }

        return new BulkResendPreview(ids.Count, willSend, throttledCount, registered, deactivated, ids.Count - found) { InvitedWithinCooldown = invitedRecently };
    }

    /// <summary>
    /// What the preview reads of each of <paramref name="users"/>: its status, whether it was invited within the cooldown,
    /// and whether the throttle holds it back now (either table: the public doors' counter or the admins'), as the resend
    /// itself would find it.
    /// </summary>
    private IQueryable<UserCheck> Checks(PortalDbContext db, IQueryable<OrgUser> users, DateTimeOffset now)
    {
        var settings = options.CurrentValue;
        var throttling = ResendThrottling.IsThrottling<ResendThrottle>(now, settings);
        var throttlingAdmins = ResendThrottling.IsThrottling<AdminResendThrottle>(now, settings);
        var invitedSince = now - settings.ResendCooldown;
        return users.Select(u => new UserCheck
        {
            IsActive = u.IsActive,
            IsRegistered = u.IsRegistered,
            JustInvited = u.CreatedAt >= invitedSince,
            Throttled = db.ResendThrottles.Where(throttling).Any(t => t.OrgId == u.OrgId && t.NormalizedUsername == u.NormalizedUsername)
                || db.AdminResendThrottles.Where(throttlingAdmins).Any(t => t.OrgId == u.OrgId && t.NormalizedUsername == u.NormalizedUsername),
        });
    }

    /// <summary>One user as <see cref="Checks"/> reads it (settable members, so queries can go on from it).</summary>
    private sealed class UserCheck
    {
        public bool IsActive { get; init; }

        public bool IsRegistered { get; init; }

        public bool JustInvited { get; init; }

        public bool Throttled { get; init; }
    }

    /// <summary>How many users a job for <paramref name="target"/> goes through, as counted now.</summary>
    public async Task<int> CountAsync(AdminScope scope, BulkResendTarget target, DateTimeOffset now, CancellationToken ct = default)
    {
        Validate(target);
        if (target is BulkResendTarget.Selected selected)
        {
            return selected.UserIds.Distinct(StringComparer.Ordinal).Count();
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        return await PendingLongerThan(db, scope, ((BulkResendTarget.PendingLongerThan)target).Days, now).CountAsync(ct);
    }

    /// <summary>
    /// The user ids a job goes through, a batch at a time. Pending users are read in email order from the index of
    /// pending users, one batch per query, so the organization is never held in memory; the set is fixed by
    /// <paramref name="now"/>, and resending changes nothing that would move a user in or out of it.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<string>> BatchesAsync(AdminScope scope, BulkResendTarget target, DateTimeOffset now, [EnumeratorCancellation] CancellationToken ct = default)
    {
        Validate(target);
        if (target is BulkResendTarget.Selected selected)
        {
            foreach (var batch in selected.UserIds.Distinct(StringComparer.Ordinal).Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                yield return batch;
            }

            yield break;
        }

        var days = ((BulkResendTarget.PendingLongerThan)target).Days;
        var after = "";
        while (true)
        {
            List<(string Id, string Normalized)> rows;
            await using (var db = await contexts.CreateDbContextAsync(ct))
            {
                var last = after;
                rows = (await PendingLongerThan(db, scope, days, now)
                    .Where(u => string.Compare(u.NormalizedUsername, last) > 0)
                    .OrderBy(u => u.NormalizedUsername)
                    .Take(BatchSize)
                    .Select(u => new { u.Id, u.NormalizedUsername })
                    .ToListAsync(ct))
                    .Select(u => (u.Id, u.NormalizedUsername))
                    .ToList();
            }

            if (rows.Count == 0)
            {
                yield break;
            }

            yield return rows.Select(r => r.Id).ToList();
            after = rows[^1].Normalized;
        }
    }

    /// <summary>The organization's pending users invited before <paramref name="now"/> minus <paramref name="days"/> days.</summary>
    internal static IQueryable<OrgUser> PendingLongerThan(PortalDbContext db, AdminScope scope, int days, DateTimeOffset now)
    {
        var cutoff = now - TimeSpan.FromDays(days);
        return db.OrgUsers.AsNoTracking()
            .Where(u => u.OrgId == scope.OrgId)
            .WithStatus(UserStatusFilter.Pending)
            .Where(u => u.CreatedAt < cutoff);
    }

    /// <summary>What is wrong with <paramref name="target"/>, in words for the admin, or null when it can run.</summary>
    public static string? Problem(BulkResendTarget target) => target switch
    {
        BulkResendTarget.Selected { UserIds.Count: 0 } => "Select at least one user.",
        BulkResendTarget.Selected { UserIds.Count: > MaxSelected } => $"Select at most {MaxSelected:N0} users.",
        BulkResendTarget.PendingLongerThan { Days: < 0 or > MaxDays } => $"The number of days must be between 0 and {MaxDays:N0}.",
        _ => null,
    };

    private static void Validate(BulkResendTarget target)
    {
        if (Problem(target) is { } problem)
        {
            throw new ArgumentException(problem, nameof(target));
        }
    }
}
