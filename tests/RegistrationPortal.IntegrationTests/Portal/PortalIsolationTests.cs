using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// The applications and audit pages' services, called as the pages call them, with ids of another organization:
/// nothing is shown or changed, and the attempt is on the record.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="PortalIsolationTestsOnSqlite"/> and <see cref="PortalIsolationTestsOnPostgres"/>.</remarks>
public abstract class PortalIsolationTests(AdminPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private ApplicationAdminService Applications => Host.Services.GetRequiredService<ApplicationAdminService>();

    private AuditLogService Audit => Host.Services.GetRequiredService<AuditLogService>();

    private async Task<(AdminScope Mine, string OtherOrg, TestAdmin OtherAdmin)> TwoOrganizationsAsync()
    {
        var mine = await Host.CreateOrganizationAsync();
        var other = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(mine);
        var otherAdmin = await fixture.CreateAdminAsync(other);
        return (await fixture.ScopeOfAsync(admin), other, otherAdmin);
    }

    private Task<List<AuditEvent>> DenialsAsync(AdminScope scope, string subjectId) =>
        Host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.OrgId == scope.OrgId && e.Action == AuditActions.AccessDenied && e.SubjectId == subjectId && e.ActorId == scope.AdminId)
            .ToListAsync());

    [Fact]
    public async Task The_dashboard_counts_only_its_own_organizations_users_and_mail()
    {
        var (mine, other, otherAdmin) = await TwoOrganizationsAsync();
        for (var i = 0; i < 3; i++)
        {
            await Host.InviteAsync(mine.OrgId, PortalFactory.NewEmail("dash-mine"));
        }

        await Host.InviteAsync(other, PortalFactory.NewEmail("dash-other"));
        var dashboard = Host.Services.GetRequiredService<DashboardService>();

        var summary = await dashboard.ReadAsync(mine);
        Assert.Equal(new BoundedCount(3), summary.Pending.UnderADay);
        Assert.Equal(new BoundedCount(3), summary.Pending.Total);
        Assert.Equal(3, summary.Outbox.Queued);
        Assert.Equal(DashboardService.ChartDays, summary.Days.Count);
        Assert.Equal(3, summary.CodesSent);
        Assert.Empty(summary.Failures);

        var theirs = await dashboard.ReadAsync(await fixture.ScopeOfAsync(otherAdmin));
        Assert.Equal(new BoundedCount(1), theirs.Pending.Total);
        Assert.Equal(1, theirs.Outbox.Queued);
        Assert.Equal(1, theirs.CodesSent);
    }

    [Fact]
    public async Task Deactivating_or_reactivating_another_organizations_application_changes_nothing_and_is_audited()
    {
        var (mine, other, _) = await TwoOrganizationsAsync();
        var active = await Host.CreateApplicationAsync(other);
        var inactive = await Host.CreateApplicationAsync(other);
        await Host.DeactivateApplicationAsync(inactive);

        Assert.Equal(ApplicationChangeStatus.NotFound, await Applications.DeactivateAsync(mine, active, "203.0.113.7"));
        Assert.Equal(ApplicationChangeStatus.NotFound, await Applications.ReactivateAsync(mine, inactive, "203.0.113.7"));

        Assert.True(await Host.WithDbAsync(db => db.Applications.Where(a => a.Id == active).Select(a => a.IsActive).SingleAsync()));
        Assert.False(await Host.WithDbAsync(db => db.Applications.Where(a => a.Id == inactive).Select(a => a.IsActive).SingleAsync()));
        var denial = Assert.Single(await DenialsAsync(mine, active));
        Assert.Equal("203.0.113.7", denial.ClientAddress);
        Assert.Single(await DenialsAsync(mine, inactive));
        Assert.DoesNotContain(await Applications.ListAsync(mine), a => a.Id == active || a.Id == inactive);
        // The other organization's trail holds nothing of it.
        Assert.Equal(0, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == other && e.ActorId == mine.AdminId)));
    }

    [Fact]
    public async Task Another_organizations_audit_event_is_not_shown_and_the_attempt_is_audited()
    {
        var (mine, other, otherAdmin) = await TwoOrganizationsAsync();
        var otherScope = await fixture.ScopeOfAsync(otherAdmin);
        var otherApp = await Host.CreateApplicationAsync(other);
        Assert.Equal(ApplicationChangeStatus.Changed, await Applications.DeactivateAsync(otherScope, otherApp, null));
        var theirEvent = await Host.WithDbAsync(db => db.AuditEvents.Where(e => e.OrgId == other && e.Action == AuditActions.ApplicationDeactivated).Select(e => e.Id).SingleAsync());

        Assert.Null(await Audit.GetAsync(mine, theirEvent, "203.0.113.8"));
        Assert.NotNull(await Audit.GetAsync(otherScope, theirEvent, null));

        Assert.Single(await DenialsAsync(mine, theirEvent.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Searching for the other organization's actors, by id or email, finds none of their events.
        foreach (var actor in new[] { otherAdmin.Id, otherAdmin.Email, otherApp })
        {
            var page = await Audit.SearchAsync(mine, new AuditSearch(Actor: actor));
            Assert.Empty(page.Items);
        }

        var all = await Audit.SearchAsync(mine, new AuditSearch(PageSize: 100));
        Assert.All(all.Items, e => Assert.NotEqual(otherApp, e.SubjectId));
    }

    [Fact]
    public async Task An_org_admin_asking_for_another_organization_gets_no_scope_and_a_forged_selection_keeps_them_in_their_own()
    {
        var (mine, other, _) = await TwoOrganizationsAsync();
        var admin = new TestAdmin(mine.AdminId, "", "", mine.OrgId);
        var principal = await fixture.PrincipalOfAsync(admin);

        Assert.Null(AdminScope.For(principal, other));
        Assert.Equal(mine.OrgId, AdminScope.For(principal, mine.OrgId)?.OrgId);
        Assert.Equal(mine.OrgId, new OrganizationSelection(other).ScopeFor(principal)?.OrgId);
        Assert.Null(PlatformScope.For(principal));
    }

    [Fact]
    public async Task A_deactivated_application_is_refused_by_the_api_until_it_is_reactivated()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var scope = await fixture.ScopeOfAsync(await fixture.CreateAdminAsync(orgId));
        var email = PortalFactory.NewEmail("app-gate");
        await Host.InviteAsync(orgId, email);
        var created = await Applications.CreateAsync(scope, "Gate test app", "198.51.100.1");
        var appId = Assert.IsType<ApplicationRow>(created.Application).Id;
        using var client = Host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, (AuthHeaders.AppId, appId)));

        Assert.Equal(ApplicationChangeStatus.Changed, await Applications.DeactivateAsync(scope, appId, "198.51.100.1"));
        await DfnsApi.AssertErrorAsync(await client.ResendAsync(orgId, email, (AuthHeaders.AppId, appId)), HttpStatusCode.Unauthorized, "Not Authorized.");
        Assert.Equal(ApplicationChangeStatus.Unchanged, await Applications.DeactivateAsync(scope, appId, null));

        Assert.Equal(ApplicationChangeStatus.Changed, await Applications.ReactivateAsync(scope, appId, "198.51.100.1"));
        // Another user, so that the resend throttle (one minute per user) does not answer instead.
        var second = PortalFactory.NewEmail("app-gate-2");
        await Host.InviteAsync(orgId, second);
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, second, (AuthHeaders.AppId, appId)));

        var trail = await Audit.SearchAsync(scope, new AuditSearch(Actor: scope.AdminId));
        Assert.Equal(
            [AuditActions.ApplicationReactivated, AuditActions.ApplicationDeactivated, AuditActions.ApplicationCreated],
            trail.Items.Select(e => e.Action).ToArray());
        Assert.All(trail.Items, e => Assert.Equal("Application Gate test app", e.SubjectText));
    }
}

public sealed class PortalIsolationTestsOnSqlite(AdminPortalFixture fixture) : PortalIsolationTests(fixture), IClassFixture<AdminPortalFixture>;

public sealed class PortalIsolationTestsOnPostgres(PostgresAdminPortalFixture fixture) : PortalIsolationTests(fixture), IClassFixture<PostgresAdminPortalFixture>;
