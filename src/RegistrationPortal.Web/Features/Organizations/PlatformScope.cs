using System.Security.Claims;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// Proof that the caller is a platform admin, for the calls that span organizations (listing and creating
/// them). Like <see cref="AdminScope"/>, it comes from the admin's own claims, so the check lives in the
/// service signature and not only in the page's policy.
/// </summary>
public sealed record PlatformScope
{
    private PlatformScope(string adminId) => AdminId = adminId;

    public string AdminId { get; }

    public static PlatformScope? For(ClaimsPrincipal admin)
    {
        var adminId = admin.FindFirstValue(ClaimTypes.NameIdentifier);
        return adminId is not null && admin.Identity?.IsAuthenticated == true && admin.IsInRole(PortalRoles.PlatformAdmin)
            ? new PlatformScope(adminId)
            : null;
    }
}
