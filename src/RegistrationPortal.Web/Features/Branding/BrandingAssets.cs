using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>
/// The organizations' logos, served from this host: <c>GET /branding/{orgId}/logo/{version}</c>. The version is the
/// logo's digest, so an address always means the same bytes and may be cached for a year; an SVG is sent with a policy
/// that lets it run nothing even when opened on its own (the host's policy for everything that is not a page).
/// </summary>
public static class BrandingAssets
{
    public static string LogoPath(string orgId, string version) => $"/branding/{Uri.EscapeDataString(orgId)}/logo/{Uri.EscapeDataString(version)}";

    public static IEndpointRouteBuilder MapBrandingAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/branding/{orgId}/logo/{version}", GetLogoAsync).WithName("GetOrganizationLogo").ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> GetLogoAsync(string orgId, string version, IDbContextFactory<PortalDbContext> contexts, HttpContext http, CancellationToken ct)
    {
        if (orgId.Length > 40 || version.Length > 32)
        {
            return Results.NotFound();
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var logo = await db.OrganizationBrandings.AsNoTracking()
            .Where(b => b.OrgId == orgId && b.LogoVersion == version)
            .Select(b => new { b.Logo, b.LogoContentType })
            .FirstOrDefaultAsync(ct);
        if (logo?.Logo is null || logo.LogoContentType is null)
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        headers.CacheControl = "public, max-age=31536000, immutable";
        headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(logo.Logo, logo.LogoContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{version}\""));
    }
}
