using Microsoft.AspNetCore.Diagnostics;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// The exception handler of the <c>/auth</c> surface: an exception becomes the Dfns error body (a
/// <see cref="BadHttpRequestException"/> its own 4xx, anything else a logged 500), never a stack trace or an exception
/// message, because the SDK parses every answer as JSON. Elsewhere it declines, and the pages' error page answers.
/// </summary>
public sealed class DfnsExceptionHandler(ILogger<DfnsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // By now the middleware has pointed the request at the pages' error path; the feature keeps the original one.
        var path = httpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path is { } original ? new PathString(original) : httpContext.Request.Path;
        if (!DfnsErrorMiddleware.IsUnderAuth(path) || httpContext.Response.HasStarted)
        {
            return false;
        }

        // The client's mistake (a body that broke off, a bad request line): its status, nothing for the error log.
        var status = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, path);
        }

        await DfnsErrors.WriteAsync(httpContext.Response, status, DfnsErrors.MessageFor(status));
        return true;
    }
}
