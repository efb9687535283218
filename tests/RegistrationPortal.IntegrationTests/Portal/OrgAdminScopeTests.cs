using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// The Admins page's service keeps organizations apart by itself: an org admin lists only their own organization's
/// admins, and resending an invitation to or resetting the password of another organization's admin is refused like a
/// missing admin, audited in the asking organization, and leaves nothing in the other's outbox or trail. On SQLite and
/// PostgreSQL.
/// </summary>
public abstract class OrgAdminScopeTests(AdminPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private OrgAdminService Admins => Host.Services.GetRequiredService<OrgAdminService>();

    [Fact]
    public async Task An_org_admin_lists_and_acts_on_their_own_organizations_admins_only()
    {
        var orgA = await Host.CreateOrganizationAsync("Admins A");
        var orgB = await Host.CreateOrganizationAsync("Admins B");
        var adminA = await fixture.CreateAdminAsync(orgA, "a-admin");
        var colleague = await fixture.CreateAdminAsync(orgA, "a-colleague");
        var adminB = await fixture.CreateAdminAsync(orgB, "b-admin");
        var platform = await fixture.CreateAdminAsync(null, "platform");
        var scopeA = await fixture.ScopeOfAsync(adminA);
        var trailOfB = await TrailAsync(orgB);

        var listed = await Admins.ListAsync(scopeA);
        Assert.Equal(new[] { adminA.Email, colleague.Email }.Order(StringComparer.OrdinalIgnoreCase), listed.Select(a => a.Email));

        // A platform admin working in A sees A's org admins, and is not one of them.
        var listedByPlatform = await Admins.ListAsync(await fixture.ScopeOfAsync(platform, orgA));
        Assert.Equal(listed.Select(a => a.Id), listedByPlatform.Select(a => a.Id));

        // B's admin, asked for by id from A: not found, twice audited in A, nothing queued for them or written in B.
        Assert.Equal(OrgAdminActionStatus.NotFound, await Admins.ResendInvitationAsync(scopeA, adminB.Id, "192.0.2.30"));
        Assert.Equal(OrgAdminActionStatus.NotFound, await Admins.SendPasswordResetAsync(scopeA, adminB.Id, "192.0.2.30"));
        Assert.Equal(OrgAdminActionStatus.NotFound, await Admins.SendPasswordResetAsync(scopeA, platform.Id, "192.0.2.30"));
        Assert.Equal(0, await Host.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.UserId == adminB.Id || m.UserId == platform.Id)));
        Assert.Equal(trailOfB, await TrailAsync(orgB));
        var denied = await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == orgA && e.Action == AuditActions.AccessDenied && e.ActorId == adminA.Id)
            .Select(e => e.SubjectId).ToListAsync());
        Assert.Equal([adminB.Id, adminB.Id, platform.Id], denied);

        // Their own colleague: the reset is queued for them, audited with the asking admin as actor.
        Assert.Equal(OrgAdminActionStatus.Sent, await Admins.SendPasswordResetAsync(scopeA, colleague.Id, "192.0.2.30"));
        Assert.Equal(1, await Host.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.UserId == colleague.Id && m.ToAddress == colleague.Email)));
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e =>
            e.OrgId == orgA && e.Action == AuditActions.AdminPasswordResetRequested && e.SubjectId == colleague.Id && e.ActorId == adminA.Id)));
    }

    private Task<List<string>> TrailAsync(string orgId) =>
        Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == orgId).OrderBy(e => e.Id).Select(e => e.Action + " " + e.SubjectId).ToListAsync());
}

public sealed class OrgAdminScopeTestsOnSqlite(AdminPortalFixture fixture) : OrgAdminScopeTests(fixture), IClassFixture<AdminPortalFixture>;

public sealed class OrgAdminScopeTestsOnPostgres(PostgresAdminPortalFixture fixture) : OrgAdminScopeTests(fixture), IClassFixture<PostgresAdminPortalFixture>;
