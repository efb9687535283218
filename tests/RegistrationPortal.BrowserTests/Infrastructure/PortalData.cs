using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Testing;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>An organization's own admin, as they sign in.</summary>
public sealed record OrgAdmin(string OrgId, string Email, string Password);

/// <summary>Test data made through the host's own services, as the portal and the operator command would make it.</summary>
public static class PortalData
{
    /// <summary>Invitations queued at once: the single writer commits them together, so hundreds take a moment.</summary>
    private const int InvitesInFlight = 100;

    /// <summary>A new organization with an org admin of its own.</summary>
    public static async Task<OrgAdmin> CreateOrganizationWithAdminAsync(this PortalFactory factory, string name)
    {
        var orgId = await factory.CreateOrganizationAsync(name);
        var email = PortalFactory.NewEmail("admin");
        const string password = "browser admin passphrase";
        var created = await factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(orgId, email, password, platformAdmin: false, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, created.Status);
        return new OrgAdmin(orgId, email, password);
    }

    /// <summary>Invites every address (each gets an invitation email); returns the user ids in the order given.</summary>
    public static async Task<IReadOnlyList<string>> InviteAllAsync(this PortalFactory factory, string orgId, IReadOnlyList<string> emails)
    {
        var registration = factory.Services.GetRequiredService<RegistrationService>();
        var ids = new List<string>(emails.Count);
        foreach (var chunk in emails.Chunk(InvitesInFlight))
        {
            var outcomes = await Task.WhenAll(chunk.Select(email => registration.InviteAsync(orgId, email, UserKind.EndUser, Actor.Operator("test"))));
            Assert.All(outcomes, o => Assert.Equal(InviteStatus.Invited, o.Status));
            ids.AddRange(outcomes.Select(o => o.UserId!));
        }

        return ids;
    }

    /// <summary>Holds the host's single writer until disposed (see <see cref="HeldWriter"/>); returns once it is held.</summary>
    public static Task<IAsyncDisposable> HoldWriterAsync(this PortalFactory factory) =>
        factory.Services.GetRequiredService<WriteQueue>().HoldAsync(Wait.DefaultTimeout);
}
