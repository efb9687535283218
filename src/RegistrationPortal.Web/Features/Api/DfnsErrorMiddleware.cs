using Microsoft.AspNetCore.Components.Endpoints;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// Wraps every <c>/auth</c> request: an unknown path is 404 and a wrong method 405, and any error status left without
/// a body (the rate limiter's, Kestrel's 413, …) gets the Dfns body too, because the SDK parses every answer as JSON.
/// Exceptions are <see cref="DfnsExceptionHandler"/>'s.
/// </summary>
public sealed class DfnsErrorMiddleware(RequestDelegate next, EndpointDataSource endpoints)
{
    private HashSet<string>? _apiPaths;
    private List<Microsoft.AspNetCore.Routing.Template.TemplateMatcher>? _apiTemplates;

    public async Task InvokeAsync(HttpContext context)
    {
        // The portal's pages answer any GET path (their not-found page), so routing alone would call an unknown
        // /auth path a wrong method. Under /auth only the API's own paths exist: anything else is 404, and a
        // known path that only a page matched is a wrong method.
        // A path the client spelled oddly (doubled slashes, an escaped slash) names no endpoint, whatever it resembles.
        var knownPath = !IsOddlySpelled(context.Request.Path.Value) && IsApiPath(context.Request.Path.Value);
        var endpoint = context.GetEndpoint();
        if (!knownPath || endpoint is null || endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
        {
            var status = knownPath ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound;
            await DfnsErrors.WriteAsync(context.Response, status, DfnsErrors.MessageFor(status));
            return;
        }

        // An exception goes on to the exception handler middleware, where DfnsExceptionHandler answers it.
        await next(context);

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null or 0 && context.Response.ContentType is null)
        {
            await DfnsErrors.WriteAsync(context.Response, context.Response.StatusCode, DfnsErrors.MessageFor(context.Response.StatusCode));
        }
    }

    /// <summary>
    /// The <c>/auth</c> surface as a client may spell it: <c>/auth</c>, <c>//auth/…</c>, <c>/AUTH%2F…</c>. Routing
    /// matches none of the odd spellings to an API endpoint, so without this they reached the pages (an empty 405).
    /// </summary>
    public static bool IsUnderAuth(PathString path)
    {
        var text = (path.Value ?? "").TrimStart('/');
        if (!text.StartsWith("auth", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = text.AsSpan(4);
        return rest.IsEmpty || rest[0] == '/' || rest.StartsWith("%2F", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsOddlySpelled(string? path) =>
        path is not null && (path.Contains("//", StringComparison.Ordinal) || path.Contains("%2F", StringComparison.OrdinalIgnoreCase));

    private static bool IsApiPattern(string pattern) => Normalize(pattern).StartsWith("/auth/", StringComparison.Ordinal);

    private static string Normalize(string? path) => "/" + (path ?? "").Trim('/').ToLowerInvariant();

    private HashSet<string> ApiPaths() => _apiPaths ??= endpoints.Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.Parameters.Count == 0)
        .Select(e => e.RoutePattern.RawText)
        .Where(p => p is not null && IsApiPattern(p))
        .Select(p => Normalize(p))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>The API's paths with parameters (<c>/auth/users/{userId}</c>), matched as routing matches them.</summary>
    private List<Microsoft.AspNetCore.Routing.Template.TemplateMatcher> ApiTemplates() => _apiTemplates ??= endpoints.Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.Parameters.Count > 0 && e.RoutePattern.RawText is { } raw && IsApiPattern(raw))
        .Select(e => new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(
            Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(e.RoutePattern.RawText!.TrimStart('/')), new RouteValueDictionary()))
        .ToList();

    private bool IsApiPath(string? path)
    {
        if (ApiPaths().Contains(Normalize(path)))
        {
            return true;
        }

        var values = new RouteValueDictionary();
        foreach (var template in ApiTemplates())
        {
            values.Clear();
            if (template.TryMatch(path ?? "/", values))
            {
                return true;
            }
        }

        return false;
    }
}
