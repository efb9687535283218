using System.Text.Json;
using Microsoft.Extensions.Options;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// Reads an <c>/auth</c> request body strictly: JSON content type, bounded size, one JSON object with only the
/// expected fields. Each failure is a ready Dfns error answer whose message names what is wrong.
/// </summary>
public static class JsonRequest
{
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadObjectAsync(HttpRequest request, IReadOnlyCollection<string> allowedFields)
    {
        var maxBytes = request.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxBodyBytes;
        if (!IsJson(request.ContentType))
        {
            return (null, DfnsErrors.Result(StatusCodes.Status415UnsupportedMediaType, DfnsErrors.MessageFor(415)));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status413PayloadTooLarge, $"Request body too large: at most {maxBytes} bytes."));
        }

        // Sized by Content-Length when the client sent one (a small body is the common case); one byte more
        // than allowed either way, so an overlong body is detected without reading all of it.
        var buffer = new byte[(request.ContentLength is { } declared ? (int)declared : maxBytes) + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status413PayloadTooLarge, $"Request body too large: at most {maxBytes} bytes."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, "body must be a JSON object"));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, "body must be a JSON object"));
        }

        // JsonDocument.Parse checks neither the bytes inside strings nor that escapes make valid UTF-16; reading such
        // a name or value later would throw (a 500). Every string, names and nested ones included, is checked here.
        if (JsonText.FindBadString(document.RootElement) is { } badText)
        {
            document.Dispose();
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, badText.Message));
        }

        // Belt and braces: bytes that are not UTF-8 outside any string would not have parsed.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            document.Dispose();
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, "body must be a JSON object"));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var name = property.Name;
            IResult? problem = !allowedFields.Contains(name) ? DfnsErrors.Result(StatusCodes.Status400BadRequest, $"unknown field: {Printable(name)}")
                : !seen.Add(name) ? DfnsErrors.Result(StatusCodes.Status400BadRequest, $"duplicate field: {name}")
                : null;
            if (problem is not null)
            {
                document.Dispose();
                return (null, problem);
            }
        }

        return (document, null);
    }

    /// <summary>A required string field; the error names the field.</summary>
    public static string? RequiredString(JsonElement obj, string name, out IResult? error) =>
        RequiredString(obj, name, name, out error);

    /// <summary>A required string field of a nested object; the error names it by its <paramref name="path"/> (e.g. <c>a.b.name</c>).</summary>
    public static string? RequiredString(JsonElement obj, string name, string path, out IResult? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} must be a string");
            return null;
        }

        var text = value.GetString()!;
        if (text.Length == 0)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} is required");
            return null;
        }

        return text;
    }

    /// <summary>An optional string field: absent or null gives null without an error; any other kind is an error naming it.</summary>
    public static string? OptionalString(JsonElement obj, string name, string path, out IResult? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} must be a string");
            return null;
        }

        return value.GetString();
    }

    /// <summary>
    /// A required nested object with only the expected fields, as strict as the body itself; errors name the
    /// field by its path (<c>unknown field: firstFactorCredential.foo</c>).
    /// </summary>
    public static JsonElement? RequiredObject(JsonElement obj, string name, string path, IReadOnlyCollection<string> allowedFields, out IResult? error)
    {
        error = null;
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{path} must be an object");
            return null;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!allowedFields.Contains(property.Name))
            {
                error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"unknown field: {path}.{Printable(property.Name)}");
                return null;
            }

            if (!seen.Add(property.Name))
            {
                error = DfnsErrors.Result(StatusCodes.Status400BadRequest, $"duplicate field: {path}.{property.Name}");
                return null;
            }
        }

        return value;
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        return media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && (!media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }

    private static string Printable(string name) => JsonText.Printable(name);
}
