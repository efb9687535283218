using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Tests.Components;

public sealed class OrgUserSearchTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private static AdminScope ScopeOf(string orgId) => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "admin-1"), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test")))!;

    [Fact]
    public async Task A_registered_user_is_listed_as_registered_with_the_credentials_creation_time()
    {
        var org = await portal.CreateOrganizationAsync();
        var userId = await portal.InviteAsync(org, "done@example.com");
        var registeredAt = new DateTimeOffset(2026, 11, 20, 10, 30, 0, TimeSpan.Zero);
        var contexts = portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            await db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsRegistered, true).SetProperty(u => u.RegisteredAt, registeredAt));
            db.Credentials.Add(new Credential
            {
                Id = Ids.New(Ids.Credential),
                OrgId = org,
                UserId = userId,
                Kind = "Key",
                Name = "Key",
                CredId = "Y3JlZC0x",
                PublicKeyPem = "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
                CreatedAt = registeredAt,
            });
            await db.SaveChangesAsync();
        }

        var service = portal.Provider.GetRequiredService<OrgUserAdminService>();
        var pending = await service.SearchAsync(ScopeOf(org), new UserSearch());
        var registered = await service.SearchAsync(ScopeOf(org), new UserSearch(Status: UserStatusFilter.Registered));

        Assert.Empty(pending.Items);
        var row = Assert.Single(registered.Items);
        Assert.Equal(UserStatus.Registered, row.Status);
        Assert.Equal(registeredAt, row.CredentialCreatedAt);
    }

    [Fact]
    public async Task An_admin_of_another_organization_cannot_resend_by_guessing_a_user_id()
    {
        var org = await portal.CreateOrganizationAsync();
        var other = await portal.CreateOrganizationAsync("Other");
        var userId = await portal.InviteAsync(org, "target@example.com");

        var outcome = await portal.Provider.GetRequiredService<OrgUserAdminService>().ResendAsync(ScopeOf(other), userId, "127.0.0.1");

        Assert.Equal(ResendStatus.Unknown, outcome.Status);
        var contexts = portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        Assert.Equal(1, await db.RegistrationCodes.CountAsync(c => c.UserId == userId));
        Assert.True(await db.AuditEvents.AnyAsync(a => a.OrgId == other && a.Action == "portal.access_denied" && a.SubjectId == userId));
    }
}
