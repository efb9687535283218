using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Tests.Components;

/// <summary>A bUnit context over the real portal services, set up as MudBlazor's own tests do, with a signed-in org admin.</summary>
public abstract class PortalComponentTest : IClassFixture<PortalServices>, IAsyncLifetime
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    protected PortalComponentTest(PortalServices portal)
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

    protected static string AdminIdOf(string orgId) => "admin-" + orgId;

    /// <summary>Renders a page as it runs once its circuit has connected (pages that read RendererInfo need one).</summary>
    protected IRenderedComponent<TPage> RenderInteractive<TPage>()
        where TPage : Microsoft.AspNetCore.Components.IComponent
    {
        Bunit.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        return Bunit.Render<TPage>();
    }

    protected static AdminScope ScopeOf(string orgId) => AdminScope.For(AdminOf(orgId))!;

    protected static ClaimsPrincipal AdminOf(string orgId) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, AdminIdOf(orgId)), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test"));

    /// <summary>Signs in the org admin of <paramref name="orgId"/>, who also exists as an account with <paramref name="email"/>.</summary>
    protected async Task SignInAsAdminOfAsync(string orgId, string email = "boss@example.com")
    {
        await WithDbAsync(async db =>
        {
            if (!await db.Users.AnyAsync(u => u.Id == AdminIdOf(orgId)))
            {
                db.Users.Add(new PortalUser { Id = AdminIdOf(orgId), UserName = email, Email = email, OrgId = orgId });
                await db.SaveChangesAsync();
            }

            return true;
        });
        SignInAsAdminOf(orgId, email);
    }

    /// <summary>Signs in the org admin of <paramref name="orgId"/> without an account row (pages that never show the admin's email).</summary>
    protected void SignInAsAdminOf(string orgId, string email = "boss@example.com")
    {
        var auth = Bunit.AddAuthorization();
        auth.SetAuthorized(email);
        auth.SetRoles(PortalRoles.OrgAdmin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, AdminIdOf(orgId)), new Claim(PortalRoles.OrgClaim, orgId));
    }

    protected async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var db = await Portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await work(db);
    }

    protected T Service<T>()
        where T : notnull => Portal.Provider.GetRequiredService<T>();

    protected static Task ClickButtonAsync<T>(IRenderedComponent<T> component, string text)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new());
}
