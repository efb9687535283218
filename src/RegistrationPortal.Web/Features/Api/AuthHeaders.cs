using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>The request headers every <c>/auth</c> call shares: optional but strict app id and nonce.</summary>
public static class AuthHeaders
{
    public const string AppId = "X-DFNS-APPID";
    public const string Nonce = "X-DFNS-NONCE";

    /// <summary>
    /// Checks the app id against the organization the call is about, and parses the nonce. Returns the nonce
    /// to record as used (with the request's own transaction) or an error answer.
    /// </summary>
    public static async Task<(string? AppId, NonceClaim? Nonce, IResult? Error)> CheckAsync(HttpContext context, string orgId)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<ApiOptions>>().CurrentValue;
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var headers = context.Request.Headers;

        NonceClaim? claim = null;
        if (headers.TryGetValue(Nonce, out var nonceValues))
        {
            if (nonceValues.Count != 1 || !RequestNonce.TryParse(nonceValues[0], time.GetUtcNow(), options.NonceWindow, out var nonce))
            {
                return (null, null, DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceInvalid));
            }

            claim = new NonceClaim(nonce!.ReplayKey, nonce.Date + options.NonceWindow);
        }
        else if (options.RequireNonce)
        {
            return (null, null, DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceInvalid));
        }

        string? appId = null;
        if (headers.TryGetValue(AppId, out var appValues))
        {
            appId = appValues.Count == 1 ? appValues[0] : null;
            if (!Ids.IsValid(appId, Ids.Application))
            {
                return (null, null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized));
            }

            var contexts = context.RequestServices.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using var db = await contexts.CreateDbContextAsync(context.RequestAborted);
            var app = await db.Applications.AsNoTracking()
                .Where(a => a.Id == appId)
                .Select(a => new { a.OrgId, a.IsActive })
                .FirstOrDefaultAsync(context.RequestAborted);
            if (app is null || !app.IsActive)
            {
                return (null, null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized));
            }

            if (!string.Equals(app.OrgId, orgId, StringComparison.Ordinal))
            {
                return (null, null, DfnsErrors.Result(StatusCodes.Status403Forbidden, DfnsErrors.NotAuthorized));
            }
        }
        else if (options.RequireAppId)
        {
            return (null, null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized));
        }

        return (appId, claim, null);
    }

    /// <summary>The token of the one <c>Authorization: Bearer …</c> header; null when there is none, several, or it is empty or longer than <paramref name="maxLength"/>.</summary>
    public static string? BearerToken(HttpRequest request, int maxLength = int.MaxValue)
    {
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } header || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        return token.Length <= maxLength ? token : null;
    }
}
