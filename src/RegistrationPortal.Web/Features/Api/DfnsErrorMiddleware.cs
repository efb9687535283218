namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// Wraps every <c>/auth</c> request: an exception becomes a 500 in the Dfns error shape (never a stack trace or
/// an exception message), and any error status left without a body (404, 405 from routing, Kestrel's 413, …)
/// gets the Dfns body too, because the SDK parses every answer as JSON.
/// </summary>
public sealed class DfnsErrorMiddleware(RequestDelegate next, ILogger<DfnsErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await DfnsErrors.WriteAsync(context.Response, ex.StatusCode, DfnsErrors.MessageFor(ex.StatusCode));
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(ex, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await DfnsErrors.WriteAsync(context.Response, StatusCodes.Status500InternalServerError, DfnsErrors.MessageFor(500));
            return;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null or 0 && context.Response.ContentType is null)
        {
            await DfnsErrors.WriteAsync(context.Response, context.Response.StatusCode, DfnsErrors.MessageFor(context.Response.StatusCode));
        }
    }
}
