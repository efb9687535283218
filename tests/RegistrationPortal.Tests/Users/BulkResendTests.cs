using RegistrationPortal.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Users;

/// <summary>Bulk resend through the real services: preview, the background job, isolation, the throttle, the audit trail.</summary>
public sealed class BulkResendTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private BulkResendService Bulk => portal.Provider.GetRequiredService<BulkResendService>();

    private BulkResendJobs Jobs => portal.Provider.GetRequiredService<BulkResendJobs>();

    private IDbContextFactory<PortalDbContext> Contexts => portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    [Fact]
    public async Task Guessed_ids_of_another_organization_are_not_found_and_their_users_get_nothing()
    {
        var org = await portal.CreateOrganizationAsync();
        var other = await portal.CreateOrganizationAsync("Other");
        var mine = await portal.InviteAsync(org, "mine@bulk-isolation.example");
        var theirs = new[] { await portal.InviteAsync(other, "theirs-1@bulk-isolation.example"), await portal.InviteAsync(other, "theirs-2@bulk-isolation.example") };
        var madeUp = Ids.New(Ids.User);
        var admin = SeededUsers.AdminOf(org, "admin-isolation");
        BulkResendTarget target = new BulkResendTarget.Selected([mine, .. theirs, madeUp]);

        var preview = await Bulk.PreviewAsync(admin, target);
        var progress = await RunAsync(admin, target);

        Assert.Equal(new BulkResendPreview(4, 1, 0, 0, 0, 3) { InvitedWithinCooldown = 1 }, preview);
        Assert.Equal((1, 3), (progress.Sent, progress.NotFound));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(2, await db.RegistrationCodes.CountAsync(c => c.UserId == mine));
        Assert.All(theirs, id => Assert.Equal(1, db.RegistrationCodes.Count(c => c.UserId == id)));
        Assert.Equal(0, await db.AuditEvents.CountAsync(a => a.OrgId == other && a.ActorId == "admin-isolation"));
        var denied = await db.AuditEvents.Where(a => a.OrgId == org && a.Action == AuditActions.AccessDenied).ToListAsync();
        Assert.Equal(new[] { theirs[0], theirs[1], madeUp }.Order(StringComparer.Ordinal), denied.Select(a => a.SubjectId).Order(StringComparer.Ordinal));
        Assert.All(denied, a => Assert.Equal("bulk resend: no such user in the organization", a.Details));

        // The new code replaced mine's invitation code; the other organization's invitation codes still work.
        var valid = await db.RegistrationCodes.SingleAsync(c => c.UserId == mine && c.InvalidatedAt == null);
        Assert.Equal(InvalidationReasons.Replaced, (await db.RegistrationCodes.SingleAsync(c => c.UserId == mine && c.Id != valid.Id)).InvalidatedReason);
        Assert.All(theirs, id => Assert.Equal(1, db.RegistrationCodes.Count(c => c.UserId == id && c.InvalidatedAt == null)));
        var sent = await db.AuditEvents.SingleAsync(a => a.SubjectId == mine && a.Action == AuditActions.CodeSent && a.ActorId == "admin-isolation");
        Assert.StartsWith("through Admin, expires ", sent.Details, StringComparison.Ordinal);
        var expires = DateTimeOffset.Parse(sent.Details!["through Admin, expires ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - valid.ExpiresAt, TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_user_resent_moments_ago_or_at_the_hourly_cap_is_throttled_in_the_preview_and_in_the_job()
    {
        var org = await portal.CreateOrganizationAsync();
        var justSent = await portal.InviteAsync(org, "just-sent@bulk-throttle.example");
        var atCap = await portal.InviteAsync(org, "at-cap@bulk-throttle.example");
        var free = await portal.InviteAsync(org, "free@bulk-throttle.example");
        var admin = SeededUsers.AdminOf(org);
        var single = await portal.Provider.GetRequiredService<OrgUserAdminService>().ResendAsync(admin, justSent, "127.0.0.1");
        Assert.Equal(ResendStatus.Sent, single.Status);
        var now = DateTimeOffset.UtcNow;
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            // Past the cooldown but at the hourly cap: still throttled.
            db.ResendThrottles.Add(new ResendThrottle { OrgId = org, NormalizedUsername = "AT-CAP@BULK-THROTTLE.EXAMPLE", LastRequestAt = now.AddMinutes(-10), WindowStartedAt = now.AddMinutes(-20), WindowCount = 5 });
            await db.SaveChangesAsync();
        }

        BulkResendTarget target = new BulkResendTarget.Selected([justSent, atCap, free]);
        var preview = await Bulk.PreviewAsync(admin, target);
        var older = await Bulk.PreviewAsync(admin, new BulkResendTarget.PendingLongerThan(0));
        var progress = await RunAsync(admin, target);

        Assert.Equal(new BulkResendPreview(3, 1, 2, 0, 0, 0) { InvitedWithinCooldown = 1 }, preview);
        // "free" was invited moments ago: counted, and marked as invited within the cooldown.
        Assert.Equal(new BulkResendPreview(3, 1, 2, 0, 0, 0) { InvitedWithinCooldown = 1 }, older);
        Assert.Equal((1, 2), (progress.Sent, progress.Throttled));
        await using var check = await Contexts.CreateDbContextAsync();
        Assert.Equal(2, await check.RegistrationCodes.CountAsync(c => c.UserId == justSent));
        Assert.Equal(1, await check.RegistrationCodes.CountAsync(c => c.UserId == atCap));
        Assert.Equal(2, await check.RegistrationCodes.CountAsync(c => c.UserId == free));
        var held = await check.AuditEvents.Where(a => a.OrgId == org && a.Action == AuditActions.ResendThrottled).ToDictionaryAsync(a => a.SubjectId!, a => a.Details);
        Assert.Equal(2, held.Count);

        // Each held user is told how long to wait: the rest of the one-minute cooldown, the rest of the hour at the cap.
        Assert.InRange(RetryAfterSeconds(held[justSent]), 50, 60);
        Assert.InRange(RetryAfterSeconds(held[atCap]), 39 * 60 - 10, 40 * 60);
    }

    /// <summary>
    /// A user's counter row is kept across bulk resends: past the cooldown a second bulk resend sends again and counts on
    /// the same row (two resends in its hour), and the code it replaces no longer works.
    /// </summary>
    [Fact]
    public async Task A_second_bulk_resend_past_the_cooldown_sends_again_and_counts_on_the_user_s_counter()
    {
        var org = await portal.CreateOrganizationAsync();
        var user = await portal.InviteAsync(org, "twice@bulk-counter.example");
        var admin = SeededUsers.AdminOf(org);
        BulkResendTarget target = new BulkResendTarget.Selected([user]);
        var first = await RunAsync(admin, target);
        Assert.Equal((BulkResendState.Finished, 1), (first.State, first.Sent));
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-2);
        await portal.WithDbAsync(db => db.AdminResendThrottles.Where(t => t.OrgId == org).ExecuteUpdateAsync(s => s
            .SetProperty(t => t.LastRequestAt, earlier)
            .SetProperty(t => t.WindowStartedAt, earlier)));

        var second = await RunAsync(admin, target);

        Assert.Equal((BulkResendState.Finished, 1, 0), (second.State, second.Sent, second.Throttled));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(2, (await db.AdminResendThrottles.SingleAsync(t => t.OrgId == org)).WindowCount);
        Assert.False(await db.ResendThrottles.AnyAsync(t => t.OrgId == org), "the public doors' counter counts only their own requests");
        Assert.Equal(3, await db.RegistrationCodes.CountAsync(c => c.UserId == user));
        Assert.Equal(1, await db.RegistrationCodes.CountAsync(c => c.UserId == user && c.InvalidatedAt == null));
    }

    /// <summary>The per-user limit is per organization: the same address resent moments ago in another organization holds nothing back here.</summary>
    [Fact]
    public async Task The_same_address_resent_moments_ago_in_another_organization_is_not_throttled_here()
    {
        var org = await portal.CreateOrganizationAsync();
        var other = await portal.CreateOrganizationAsync("Other");
        const string Email = "shared@bulk-other-org.example";
        var mine = await portal.InviteAsync(org, Email);
        await portal.InviteAsync(other, Email);
        var elsewhere = await portal.Provider.GetRequiredService<RegistrationService>().ResendAsync(other, Email, Actor.Admin("admin-other", "127.0.0.1"));
        Assert.Equal(ResendStatus.Sent, elsewhere.Status);

        var progress = await RunAsync(SeededUsers.AdminOf(org), new BulkResendTarget.Selected([mine]));

        Assert.Equal((1, 0), (progress.Sent, progress.Throttled));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(2, await db.RegistrationCodes.CountAsync(c => c.UserId == mine));
        Assert.False(await db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.ResendThrottled));
    }

    [Fact]
    public async Task Everyone_pending_longer_than_n_days_gets_one_new_code_each_and_no_one_else_does()
    {
        var org = await portal.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        UserStatus StatusOf(int i) => (i % 5) switch { 0 => UserStatus.Registered, 1 => UserStatus.Deactivated, _ => UserStatus.Pending };
        var ids = await portal.InsertAsync(org, 600, i => $"old-{i:000}@bulk-days.example", i => i < 400 ? now.AddDays(-10).AddMinutes(i) : now.AddDays(-3), StatusOf);
        var admin = SeededUsers.AdminOf(org);
        var expected = Enumerable.Range(0, 400).Where(i => StatusOf(i) == UserStatus.Pending).Select(i => ids[i]).ToHashSet();
        BulkResendTarget target = new BulkResendTarget.PendingLongerThan(7);

        var preview = await Bulk.PreviewAsync(admin, target);
        var progress = await RunAsync(admin, target);

        Assert.Equal(new BulkResendPreview(240, 240, 0, 0, 0, 0), preview);
        Assert.Equal(BulkResendState.Finished, progress.State);
        Assert.Equal((240, 240, 240), (progress.Total, progress.Processed, progress.Sent));
        await using var db = await Contexts.CreateDbContextAsync();
        var coded = await db.RegistrationCodes.Where(c => c.OrgId == org).GroupBy(c => c.UserId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        Assert.True(expected.SetEquals(coded.Select(c => c.Key)));
        Assert.All(coded, c => Assert.Equal(1, c.Count));
        Assert.Equal(240, await db.OutboxMessages.CountAsync(m => m.OrgId == org));
        Assert.Equal(240, await db.AuditEvents.CountAsync(a => a.OrgId == org && a.Action == AuditActions.CodeSent && a.ActorKind == nameof(ActorKind.Admin)));
        var jobAudit = await db.AuditEvents.Where(a => a.OrgId == org && a.SubjectId == progress.JobId).OrderBy(a => a.Id).ToListAsync();
        Assert.Equal([AuditActions.BulkResendStarted, AuditActions.BulkResendFinished], jobAudit.Select(a => a.Action));
        Assert.Contains("240 users", jobAudit[0].Details, StringComparison.Ordinal);
        Assert.StartsWith("Finished: 240 sent, 0 throttled", jobAudit[1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_runs_on_its_own_and_a_second_one_waits_until_it_has_ended()
    {
        var org = await portal.CreateOrganizationAsync();
        var ids = await portal.InsertAsync(org, 3, i => $"held-{i}@bulk-job.example");
        var admin = SeededUsers.AdminOf(org);
        var writes = portal.Provider.GetRequiredService<WriteQueue>();

        // Hold the single writer so the job cannot move until it is released.
        BulkResendJob? job;
        await using (await writes.HoldAsync(Deadline))
        {
            job = await Jobs.StartAsync(admin, new BulkResendTarget.Selected(ids), "127.0.0.1");
            var second = await Jobs.StartAsync(admin, new BulkResendTarget.Selected(ids), "127.0.0.1");

            Assert.NotNull(job);
            Assert.Null(second);
            Assert.Same(job, Jobs.Find(admin));
            Assert.True(job.Progress.IsRunning);
            Assert.Equal((3, 0), (job.Progress.Total, job.Progress.Processed));
        }

        await job.Completion.WaitAsync(Deadline);
        Assert.Equal((BulkResendState.Finished, 3), (job.Progress.State, job.Progress.Sent));

        var third = await Jobs.StartAsync(admin, new BulkResendTarget.Selected(ids), "127.0.0.1");
        Assert.NotNull(third);
        await third.Completion.WaitAsync(Deadline);
        Assert.Equal((BulkResendState.Finished, 3), (third.Progress.State, third.Progress.Throttled));
    }

    [Fact]
    public async Task A_stopped_job_sends_no_further_batch_and_its_end_is_audited_as_stopped()
    {
        var org = await portal.CreateOrganizationAsync();
        var ids = await portal.InsertAsync(org, 600, i => $"stop-{i:000}@bulk-job.example");
        var admin = SeededUsers.AdminOf(org);
        var writes = portal.Provider.GetRequiredService<WriteQueue>();
        BulkResendJob? job;
        await using (await writes.HoldAsync(Deadline))
        {
            job = await Jobs.StartAsync(admin, new BulkResendTarget.Selected(ids), "127.0.0.1");
            Assert.NotNull(job);
            job.Stop();
        }

        await job.Completion.WaitAsync(Deadline);

        Assert.Equal((BulkResendState.Stopped, 600, 0, 0), (job.Progress.State, job.Progress.Total, job.Progress.Processed, job.Progress.Sent));
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.RegistrationCodes.CountAsync(c => c.OrgId == org));
        var end = await db.AuditEvents.SingleAsync(a => a.SubjectId == job.Progress.JobId && a.Action == AuditActions.BulkResendFinished);
        Assert.StartsWith("Stopped: 0 sent", end.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_of_range_targets_are_refused_with_a_clear_message()
    {
        var admin = SeededUsers.AdminOf(await portal.CreateOrganizationAsync());

        var none = await Assert.ThrowsAsync<ArgumentException>(() => Bulk.PreviewAsync(admin, new BulkResendTarget.Selected([])));
        var negative = await Assert.ThrowsAsync<ArgumentException>(() => Bulk.PreviewAsync(admin, new BulkResendTarget.PendingLongerThan(-1)));

        Assert.StartsWith("Select at least one user.", none.Message, StringComparison.Ordinal);
        Assert.StartsWith("The number of days must be between 0 and 3,650.", negative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_reads_its_pending_users_a_batch_at_a_time_in_index_order()
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var after = "M@EXAMPLE.COM";

        var plan = await QueryPlans.ExplainAsync(BulkResendService.PendingLongerThan(db, SeededUsers.AdminOf("or-plans-plans-plansplansplans1"), 7, DateTimeOffset.UtcNow)
            .Where(u => string.Compare(u.NormalizedUsername, after) > 0)
            .OrderBy(u => u.NormalizedUsername)
            .Take(BulkResendService.BatchSize));

        Assert.Contains(plan, line => line.Contains("INDEX IX_Users_Pending_ByEmail (OrgId=? AND NormalizedUsername>?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    private static int RetryAfterSeconds(string? details)
    {
        var match = System.Text.RegularExpressions.Regex.Match(details ?? "", "^retry after ([0-9]+) s$");
        Assert.True(match.Success, $"not a retry-after text: '{details}'");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<BulkResendProgress> RunAsync(Web.Features.Organizations.AdminScope admin, BulkResendTarget target)
    {
        var job = await Jobs.StartAsync(admin, target, "127.0.0.1");
        Assert.NotNull(job);
        await job.Completion.WaitAsync(Deadline);
        return job.Progress;
    }
}
