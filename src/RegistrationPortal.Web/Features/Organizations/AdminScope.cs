using System.Security.Claims;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// The organization a signed-in admin may act on, derived from the admin's own claims: an org admin always
/// gets their organization, whatever a page asks for; a platform admin gets the organization they picked.
/// Portal services take this instead of a bare organization id, so isolation does not depend on the UI.
/// </summary>
public sealed record AdminScope
{
    private AdminScope(string adminId, string orgId, bool isPlatformAdmin)
    {
        AdminId = adminId;
        OrgId = orgId;
        IsPlatformAdmin = isPlatformAdmin;
    }

    public string AdminId { get; }

    public string OrgId { get; }

    public bool IsPlatformAdmin { get; }

    /// <summary>The scope of <paramref name="admin"/>, or null when they are no admin or may not act on <paramref name="requestedOrgId"/>.</summary>
    public static AdminScope? For(ClaimsPrincipal admin, string? requestedOrgId = null)
    {
        var adminId = admin.FindFirstValue(ClaimTypes.NameIdentifier);
        if (adminId is null || admin.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        if (admin.IsInRole(PortalRoles.PlatformAdmin))
        {
            return Ids.IsValid(requestedOrgId, Ids.Organization) ? new AdminScope(adminId, requestedOrgId!, isPlatformAdmin: true) : null;
        }

        var orgId = admin.FindFirstValue(PortalRoles.OrgClaim);
        if (!admin.IsInRole(PortalRoles.OrgAdmin) || orgId is null)
        {
            return null;
        }

        return requestedOrgId is null || requestedOrgId == orgId ? new AdminScope(adminId, orgId, isPlatformAdmin: false) : null;
    }
}
