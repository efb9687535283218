using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Components.Account;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// The organization a platform admin chose to work in. It is kept in a cookie that only
/// <c>POST /portal/organization</c> sets (antiforgery-protected), so it holds across navigation, reloads and new
/// tabs without riding on every link. The host reads the cookie once, when a page is first served, and
/// <c>Routes</c> cascades it to every page; pages turn it into their <see cref="AdminScope"/> with
/// <see cref="OrganizationSelectionExtensions.ScopeFor"/> and never read an organization from the address.
/// </summary>
public sealed record OrganizationSelection(string? OrgId)
{
    public const string CookieName = "portal.org";

    /// <summary>The selection a request carries; a malformed cookie counts as none.</summary>
    public static OrganizationSelection FromRequest(HttpRequest request) =>
        new(request.Cookies.TryGetValue(CookieName, out var orgId) && Ids.IsValid(orgId, Ids.Organization) ? orgId : null);
}

public static class OrganizationSelectionExtensions
{
    /// <summary>
    /// The scope a portal page acts in: a platform admin's selected organization (none picked: null), an org
    /// admin's own organization. A selection is never offered to an org admin, so a cookie left behind by a
    /// platform admin on a shared browser cannot lock them out, and a forged one cannot widen their scope.
    /// </summary>
    public static AdminScope? ScopeFor(this OrganizationSelection? selection, ClaimsPrincipal user) =>
        user.IsInRole(PortalRoles.PlatformAdmin) ? AdminScope.For(user, selection?.OrgId) : AdminScope.For(user);
}

public static class OrganizationSelectionApi
{
    public const string Path = "/portal/organization";

    /// <summary>Switches a platform admin to an organization: a plain form post (the pages' forms carry the antiforgery token), then back to <c>returnUrl</c>.</summary>
    public static IEndpointRouteBuilder MapOrganizationSelection(this IEndpointRouteBuilder endpoints)
    {
        // The token is checked in the handler: a missing or wrong one is a plain 400, where the automatic check
        // of form-bound minimal APIs would throw from the binder.
        // Any admin may post here, so that an org admin who asks for an organization is refused in the handler and
        // the attempt is audited, not only turned away by the authorization middleware.
        endpoints.MapPost(Path, SelectAsync)
            .RequireAuthorization(PortalPolicies.Admin)
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<IResult> SelectAsync(HttpContext context, IAntiforgery antiforgery, IDbContextFactory<PortalDbContext> contexts, WriteQueue writes, TimeProvider time)
    {
        if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? orgId = form["orgId"];
        string? returnUrl = form["returnUrl"];
        if (!context.User.IsInRole(PortalRoles.PlatformAdmin))
        {
            // An org admin works in their own organization only; asking for another is refused and recorded there.
            var own = AdminScope.For(context.User);
            await PortalDenials.AuditAsync(
                writes,
                time,
                own?.OrgId,
                Actor.Admin(own?.AdminId ?? "unknown", context.Connection.RemoteIpAddress?.ToString()),
                Ids.IsValid(orgId, Ids.Organization) ? orgId : null,
                "organization switch refused: not a platform admin");
            return TypedResults.Forbid();
        }

        if (!Ids.IsValid(orgId, Ids.Organization))
        {
            return TypedResults.BadRequest();
        }

        await using (var db = await contexts.CreateDbContextAsync(context.RequestAborted))
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == orgId, context.RequestAborted))
            {
                return TypedResults.NotFound();
            }
        }

        // A session cookie: a new browser session starts without an organization rather than silently in yesterday's.
        context.Response.Cookies.Append(OrganizationSelection.CookieName, orgId!, new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
        return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    internal static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && Uri.IsWellFormedUriString(url, UriKind.Relative);
}
