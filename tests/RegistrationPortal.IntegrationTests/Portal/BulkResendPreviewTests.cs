using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>
/// The bulk resend's preview, what an admin reads before starting one, counted by each database: a user the admins'
/// throttle holds (a code resent from the portal a moment ago), one the public doors' throttle holds (at the hourly
/// cap), one free and invited within the cooldown, and an id that is no user of the organization.
/// </summary>
public abstract class BulkResendPreviewTests(AdminPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task The_preview_counts_who_is_held_back_by_either_throttle_and_who_was_just_invited()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId, "bulk-preview");
        var scope = await fixture.ScopeOfAsync(admin);
        var resentByAnAdmin = await Host.InviteAsync(orgId, PortalFactory.NewEmail("resent"));
        var atTheCap = PortalFactory.NewEmail("at-cap");
        var atTheCapId = await Host.InviteAsync(orgId, atTheCap);
        var free = await Host.InviteAsync(orgId, PortalFactory.NewEmail("free"));

        Assert.Equal(ResendStatus.Sent, (await Host.Services.GetRequiredService<OrgUserAdminService>().ResendAsync(scope, resentByAnAdmin, "192.0.2.30")).Status);
        var now = DateTimeOffset.UtcNow;
        await Host.WithDbAsync(async db =>
        {
            // Past the cooldown, but at the hourly cap of the public doors' counter.
            db.ResendThrottles.Add(new ResendThrottle { OrgId = orgId, NormalizedUsername = EmailAddress.Normalize(atTheCap), LastRequestAt = now.AddMinutes(-10), WindowStartedAt = now.AddMinutes(-20), WindowCount = 5 });
            return await db.SaveChangesAsync();
        });

        var bulk = Host.Services.GetRequiredService<BulkResendService>();
        var selected = await bulk.PreviewAsync(scope, new BulkResendTarget.Selected([resentByAnAdmin, atTheCapId, free, Ids.New(Ids.User)]));
        var everyone = await bulk.PreviewAsync(scope, new BulkResendTarget.PendingLongerThan(0));

        Assert.Equal(new BulkResendPreview(Users: 4, WillSend: 1, Throttled: 2, AlreadyRegistered: 0, Deactivated: 0, NotFound: 1) { InvitedWithinCooldown = 1 }, selected);
        Assert.Equal(new BulkResendPreview(Users: 3, WillSend: 1, Throttled: 2, AlreadyRegistered: 0, Deactivated: 0, NotFound: 0) { InvitedWithinCooldown = 1 }, everyone);
    }
}

public sealed class BulkResendPreviewTestsOnSqlite(AdminPortalFixture fixture) : BulkResendPreviewTests(fixture), IClassFixture<AdminPortalFixture>;

public sealed class BulkResendPreviewTestsOnPostgres(PostgresAdminPortalFixture fixture) : BulkResendPreviewTests(fixture), IClassFixture<PostgresAdminPortalFixture>;
