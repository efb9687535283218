using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>
/// An admin who guesses a user id (or an organization id) of another organization gets exactly what an unknown id
/// gets, nothing changes, and the attempt is in the audit trail of the admin's own organization.
/// </summary>
public sealed class UserAdminIsolationTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private OrgUserDetailService Detail => portal.Provider.GetRequiredService<OrgUserDetailService>();

    private OrgUserInviteService Invites => portal.Provider.GetRequiredService<OrgUserInviteService>();

    [Fact]
    public async Task Viewing_a_guessed_user_shows_nothing()
    {
        var (mine, victim) = await TwoOrganizationsAsync();

        var detail = await Detail.GetAsync(ScopeOf(mine), victim.UserId, "10.1.1.1");
        var audit = await Detail.AuditAsync(ScopeOf(mine), victim.UserId, 0, 20);

        Assert.Null(detail);
        Assert.Equal(0, audit.TotalItems);
        Assert.Empty(audit.Items);
        await AssertDeniedAsync(mine, victim.UserId, "view: no such user in the organization");
    }

    [Fact]
    public async Task Deactivating_a_guessed_user_changes_nothing()
    {
        var (mine, victim) = await TwoOrganizationsAsync();

        var outcome = await Detail.DeactivateAsync(ScopeOf(mine), victim.UserId, "10.1.1.1");

        Assert.Equal(new UserStateOutcome(UserStateStatus.Unknown), outcome);
        Assert.True(await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == victim.UserId).Select(u => u.IsActive).SingleAsync()));
        Assert.Equal(1, await ValidCodesAsync(victim.UserId));
        await AssertDeniedAsync(mine, victim.UserId, "deactivate: no such user in the organization");
    }

    [Fact]
    public async Task Reactivating_a_guessed_user_changes_nothing()
    {
        var (mine, victim) = await TwoOrganizationsAsync();
        Assert.Equal(UserStateStatus.Changed, (await Detail.DeactivateAsync(ScopeOf(victim.OrgId), victim.UserId, null)).Status);

        var outcome = await Detail.ReactivateAsync(ScopeOf(mine), victim.UserId, "10.1.1.1");

        Assert.Equal(UserStateStatus.Unknown, outcome.Status);
        Assert.Null(outcome.Email);
        Assert.False(await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == victim.UserId).Select(u => u.IsActive).SingleAsync()));
        await AssertDeniedAsync(mine, victim.UserId, "reactivate: no such user in the organization");
    }

    [Fact]
    public async Task Correcting_the_email_of_a_guessed_user_changes_nothing_and_sends_nothing()
    {
        var (mine, victim) = await TwoOrganizationsAsync();

        var outcome = await Detail.CorrectEmailAsync(ScopeOf(mine), victim.UserId, "attacker@example.com", "10.1.1.1");

        Assert.Equal(new CorrectEmailOutcome(CorrectEmailStatus.Unknown), outcome);
        Assert.Equal(victim.Email, await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == victim.UserId).Select(u => u.Username).SingleAsync()));
        Assert.Equal(1, await ValidCodesAsync(victim.UserId));
        Assert.Equal([victim.Email], await WithDbAsync(db => db.OutboxMessages.Where(m => m.UserId == victim.UserId).Select(m => m.ToAddress).ToListAsync()));
        Assert.False(await WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ToAddress == "attacker@example.com")));
        await AssertDeniedAsync(mine, victim.UserId, "correct email: no such user in the organization");
    }

    [Fact]
    public async Task Inviting_into_an_organization_that_does_not_exist_invites_no_one_and_is_audited()
    {
        var platform = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "platform-admin-1"), new Claim(ClaimTypes.Role, PortalRoles.PlatformAdmin)], "test"));
        var ghost = Ids.New(Ids.Organization);
        var scope = AdminScope.For(platform, ghost)!;

        var one = await Invites.InviteAsync(scope, "someone@example.com", UserKind.EndUser, "10.1.1.1");
        var many = await Invites.InviteManyAsync(scope, InviteListParser.Parse("a@example.com\nb@example.com", UserKind.EndUser), "10.1.1.1");

        Assert.Equal(InviteStatus.UnknownOrganization, one.Status);
        Assert.Equal(new BulkInviteSummary(0, 0, 0, 0, 2), many);
        Assert.False(await WithDbAsync(db => db.OrgUsers.AnyAsync(u => u.OrgId == ghost)));
        Assert.Equal(2, await WithDbAsync(db => db.AuditEvents.CountAsync(a => a.OrgId == ghost && a.Action == AuditActions.AccessDenied && a.Details == "invite: no such organization")));
    }

    [Fact]
    public async Task The_invite_preview_does_not_reveal_addresses_of_another_organization()
    {
        var (mine, victim) = await TwoOrganizationsAsync();

        var preview = await Invites.PreviewAsync(ScopeOf(mine), InviteListParser.Parse(victim.Email, UserKind.EndUser));

        Assert.Equal(InviteLineStatus.Ready, Assert.Single(preview.Lines).Status);
    }

    [Fact]
    public async Task Deactivation_kills_every_outstanding_code_in_one_audited_change_and_blocks_resends()
    {
        var org = await portal.CreateOrganizationAsync();
        var email = $"gone-{Guid.NewGuid():N}@example.com";
        var userId = await portal.InviteAsync(org, email);

        var outcome = await Detail.DeactivateAsync(ScopeOf(org), userId, "10.1.1.1");
        var again = await Detail.DeactivateAsync(ScopeOf(org), userId, "10.1.1.1");
        var resend = await portal.Provider.GetRequiredService<RegistrationService>().ResendAsync(org, email, Actor.SelfService("10.1.1.2"));
        var correct = await Detail.CorrectEmailAsync(ScopeOf(org), userId, "other@example.com", null);

        Assert.Equal(new UserStateOutcome(UserStateStatus.Changed, email, 1), outcome);
        Assert.Equal(UserStateStatus.Unchanged, again.Status);
        Assert.Equal(ResendStatus.Deactivated, resend.Status);
        Assert.Equal(CorrectEmailStatus.Deactivated, correct.Status);
        var code = await WithDbAsync(db => db.RegistrationCodes.SingleAsync(c => c.UserId == userId));
        Assert.Equal(InvalidationReasons.Deactivated, code.InvalidatedReason);
        var deactivation = await WithDbAsync(db => db.AuditEvents.SingleAsync(a => a.SubjectId == userId && a.Action == AuditActions.UserDeactivated));
        Assert.Equal((AdminIdOf(org), "10.1.1.1", "1 outstanding code(s) invalidated"), (deactivation.ActorId, deactivation.ClientAddress, deactivation.Details));
        var skipped = await WithDbAsync(db => db.AuditEvents.SingleAsync(a => a.SubjectId == userId && a.Action == AuditActions.ResendSkipped));
        Assert.Equal((nameof(ActorKind.SelfService), "10.1.1.2", nameof(ResendStatus.Deactivated)), (skipped.ActorKind, skipped.ClientAddress, skipped.Details));
    }

    /// <summary>
    /// The per-user resend limit is per organization: another organization's resend to the same address a moment ago
    /// neither holds an admin's resend here nor makes it one that overrode the cooldown, and each organization keeps its
    /// own counter.
    /// </summary>
    [Fact]
    public async Task A_resend_to_an_address_another_organization_resent_a_moment_ago_counts_only_here()
    {
        var (mine, victim) = await TwoOrganizationsAsync();
        var userId = await portal.InviteAsync(mine, victim.Email);
        var registration = portal.Provider.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(victim.OrgId, victim.Email, Actor.Admin(AdminIdOf(victim.OrgId), "10.1.1.3"))).Status);

        var outcome = await portal.Provider.GetRequiredService<OrgUserAdminService>().ResendAsync(ScopeOf(mine), userId, "10.1.1.1");

        Assert.Equal(ResendStatus.Sent, outcome.Status);
        Assert.False(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == mine && a.Action == AuditActions.ResendCooldownOverridden)));
        var counters = await WithDbAsync(db => db.AdminResendThrottles.Where(t => t.OrgId == mine || t.OrgId == victim.OrgId).ToDictionaryAsync(t => t.OrgId, t => t.WindowCount));
        Assert.Equal(1, counters[mine]);
        Assert.Equal(1, counters[victim.OrgId]);
    }

    [Fact]
    public async Task Correcting_to_the_same_address_or_for_a_registered_user_changes_nothing()
    {
        var org = await portal.CreateOrganizationAsync();
        var pending = await portal.InviteAsync(org, "same@example.com");
        var registered = await portal.InviteAsync(org, "registered@example.com");
        await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == registered).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsRegistered, true)));

        var same = await Detail.CorrectEmailAsync(ScopeOf(org), pending, " SAME@example.com ", null);
        var done = await Detail.CorrectEmailAsync(ScopeOf(org), registered, "new@example.com", null);
        var invalid = await Detail.CorrectEmailAsync(ScopeOf(org), pending, "not an address", null);

        Assert.Equal(CorrectEmailStatus.SameEmail, same.Status);
        Assert.Equal(CorrectEmailStatus.AlreadyRegistered, done.Status);
        Assert.Equal(CorrectEmailStatus.InvalidEmail, invalid.Status);
        Assert.Equal(1, await ValidCodesAsync(pending));
        Assert.Equal("registered@example.com", await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == registered).Select(u => u.Username).SingleAsync()));
        Assert.False(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.UserEmailCorrected)));
    }

    /// <summary>The service refuses an address that is not one whichever door calls it (the demo seed's configured addresses are not checked before).</summary>
    [Fact]
    public async Task Inviting_an_address_that_is_not_one_is_refused_and_leaves_nothing_behind()
    {
        var org = await portal.CreateOrganizationAsync();

        var outcome = await Invites.InviteAsync(ScopeOf(org), "not an address", UserKind.EndUser, "10.1.1.1");

        Assert.Equal(new InviteOutcome(InviteStatus.InvalidEmail), outcome);
        Assert.False(await WithDbAsync(db => db.OrgUsers.AnyAsync(u => u.OrgId == org)));
        Assert.False(await WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.OrgId == org)));
    }

    private static string AdminIdOf(string orgId) => "admin-" + orgId;

    private static ClaimsPrincipal OrgAdmin(string orgId) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, AdminIdOf(orgId)), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test"));

    private static AdminScope ScopeOf(string orgId) => AdminScope.For(OrgAdmin(orgId))!;

    private async Task<(string Mine, (string OrgId, string UserId, string Email) Victim)> TwoOrganizationsAsync()
    {
        var mine = await portal.CreateOrganizationAsync("Mine");
        var theirs = await portal.CreateOrganizationAsync("Theirs");
        var email = $"victim-{Guid.NewGuid():N}@example.com";
        return (mine, (theirs, await portal.InviteAsync(theirs, email), email));
    }

    private async Task AssertDeniedAsync(string orgId, string subjectId, string details)
    {
        var denied = await WithDbAsync(db => db.AuditEvents.Where(a => a.OrgId == orgId && a.Action == AuditActions.AccessDenied && a.SubjectId == subjectId).ToListAsync());
        var single = Assert.Single(denied);
        Assert.Equal((nameof(ActorKind.Admin), AdminIdOf(orgId), "10.1.1.1", details), (single.ActorKind, single.ActorId, single.ClientAddress, single.Details));
    }

    private Task<int> ValidCodesAsync(string userId) =>
        WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.UserId == userId && c.UsedAt == null && c.InvalidatedAt == null));

    private async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var db = await portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await work(db);
    }
}
