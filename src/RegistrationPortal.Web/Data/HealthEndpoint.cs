using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RegistrationPortal.Web.Data;

public static class HealthEndpoint
{
    /// <summary>
    /// <c>GET /healthz</c> (readiness): 200 when the database and the dispatcher are healthy, else 503; a short JSON
    /// report; the database check is cached for a moment. <c>GET /healthz/live</c> (liveness): 200 while the process
    /// serves, touching nothing, for load balancers that ask often.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteAsync })
            .DisableRateLimiting();
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .DisableRateLimiting();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
        };
        foreach (var (name, entry) in report.Entries)
        {
            // A check that threw says so and no more: the exception's text may quote a connection string or a path.
            body[name] = new { status = entry.Status.ToString(), description = entry.Exception is null ? entry.Description : "check failed" };
        }

        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
