using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Tests.Components;

/// <summary>A bUnit context with MudBlazor set up as its own tests do, over the real portal services.</summary>
public abstract class PortalPageTest : IClassFixture<PortalServices>, IAsyncLifetime
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    protected PortalPageTest(PortalServices portal)
    {
        Portal = portal;
        Bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        Bunit.Services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.ShowTransitionDuration = 0;
            o.SnackbarConfiguration.HideTransitionDuration = 0;
            o.PopoverOptions.CheckForPopoverProvider = false;
        });
        Bunit.Services.AddFallbackServiceProvider(portal.Provider);
    }

    protected PortalServices Portal { get; }

    // MudBlazor's services dispose asynchronously only, so the context is disposed in DisposeAsync.
    protected BunitContext Bunit { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Bunit.DisposeAsync();

    protected void SignInAsAdminOf(string orgId, string adminId = "admin-1")
    {
        var auth = Bunit.AddAuthorization();
        auth.SetAuthorized("admin@example.com");
        auth.SetRoles(PortalRoles.OrgAdmin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, adminId), new Claim(PortalRoles.OrgClaim, orgId));
    }
}
