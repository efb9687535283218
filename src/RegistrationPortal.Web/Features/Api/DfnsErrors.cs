using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>The one error shape of the <c>/auth</c> surface: <c>{"error":{"message":"…"}}</c>.</summary>
public sealed record DfnsErrorBody(DfnsError Error);

public sealed record DfnsError(string Message);

/// <summary>The neutral success answer: <c>{"message":"success"}</c>.</summary>
public sealed record DfnsSuccessBody(string Message)
{
    public static readonly DfnsSuccessBody Success = new("success");
}

public static class DfnsErrors
{
    public const string NotAuthorized = "Not Authorized.";
    public const string NonceInvalid = "request nonce is missing or invalid";
    public const string NonceUsed = "request nonce has already been used";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static DfnsErrorResult Result(int status, string message) => new(status, message);

    public static Task WriteAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentLength = null;
        return response.WriteAsJsonAsync(new DfnsErrorBody(new DfnsError(message)), Json);
    }

    public static string MessageFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request.",
        StatusCodes.Status401Unauthorized => NotAuthorized,
        StatusCodes.Status403Forbidden => NotAuthorized,
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed.",
        StatusCodes.Status408RequestTimeout => "Request timed out.",
        StatusCodes.Status411LengthRequired => "Length required.",
        StatusCodes.Status413PayloadTooLarge => "Request body too large.",
        StatusCodes.Status415UnsupportedMediaType => "content-type must be application/json",
        StatusCodes.Status429TooManyRequests => "Too many requests. Retry later.",
        >= 500 => "Internal server error.",
        _ => "Request failed.",
    };

    /// <summary>429 with <c>Retry-After</c> in whole seconds (at least one) and "<paramref name="what"/> Retry after N seconds."</summary>
    public static DfnsErrorResult Throttled(HttpContext context, TimeSpan retryAfter, string what)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Result(StatusCodes.Status429TooManyRequests, $"{what} Retry after {seconds} seconds.");
    }
}

/// <summary>
/// An error answer of the <c>/auth</c> surface as a typed result: a handler that may return it documents, from its own
/// signature, the error answers every <c>/auth</c> call shares (400, 401, 403, 413, 415, 429), all in the Dfns shape.
/// </summary>
public sealed class DfnsErrorResult(int statusCode, string message) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<DfnsErrorBody>, IEndpointMetadataProvider
{
    private static readonly int[] Documented =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
    ];

    public int StatusCode => statusCode;

    int? IStatusCodeHttpResult.StatusCode => statusCode;

    public string Message => message;

    public DfnsErrorBody Value => new(new DfnsError(message));

    object? IValueHttpResult.Value => Value;

    public Task ExecuteAsync(HttpContext httpContext) => DfnsErrors.WriteAsync(httpContext.Response, statusCode, message);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        foreach (var status in Documented)
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(DfnsErrorBody), ["application/json"]));
        }
    }
}
