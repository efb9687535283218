using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// What every <c>/auth</c> body shares: JSON content type, a bounded size read once, and, when the strict typed read
/// refuses the body, the message that names what is wrong. The shape itself is the request record's: its
/// <see cref="JsonTypeInfo"/> from a source-generated context says which fields exist, which are required, and of
/// what kind, so the documented shape and the checked shape are one.
/// </summary>
public static class JsonRequest
{
    /// <summary>Deeper than any request of this API nests; the same bound for the typed read and the explanation.</summary>
    public const int MaxDepth = 16;

    /// <summary>
    /// The body's bytes, once per request (a second caller gets the same buffer), or the 415/413 answer. The
    /// content type is checked only when <paramref name="requireJson"/> (a bodyless call signed as a user action has none).
    /// </summary>
    public static async ValueTask<(ReadOnlyMemory<byte> Bytes, IResult? Error)> ReadBytesAsync(HttpContext context, bool requireJson = true)
    {
        var request = context.Request;
        if (requireJson && !IsJson(request.ContentType))
        {
            return (default, DfnsErrors.Result(StatusCodes.Status415UnsupportedMediaType, DfnsErrors.MessageFor(415)));
        }

        if (context.Features.Get<BufferedBody>() is { } buffered)
        {
            return (buffered.Bytes, buffered.Error);
        }

        var maxBytes = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxBodyBytes;
        var read = await ReadBoundedAsync(request, maxBytes, context.RequestAborted);
        context.Features.Set(read);
        return (read.Bytes, read.Error);
    }

    private static async Task<BufferedBody> ReadBoundedAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return new BufferedBody(default, TooLarge(maxBytes));
        }

        // Sized by Content-Length when the client sent one (a small body is the common case); one byte more
        // than allowed either way, so an overlong body is detected without reading all of it.
        var buffer = new byte[(request.ContentLength is { } declared ? (int)declared : maxBytes) + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        return length > maxBytes ? new BufferedBody(default, TooLarge(maxBytes)) : new BufferedBody(buffer.AsMemory(0, length), null);
    }

    private static DfnsErrorResult TooLarge(int maxBytes) =>
        DfnsErrors.Result(StatusCodes.Status413PayloadTooLarge, $"Request body too large: at most {maxBytes} bytes.");

    /// <summary>The body read once: what <see cref="ReadBytesAsync"/> gives every later caller of the same request.</summary>
    private sealed record BufferedBody(ReadOnlyMemory<byte> Bytes, IResult? Error);

    /// <summary>
    /// Why the strict typed read refused <paramref name="bytes"/>, in the API's words: not a JSON object, a string that
    /// is not Unicode text, an unknown or repeated field, a required field missing or null, a field of the wrong kind;
    /// each names the field by its path (<c>firstFactorCredential.credentialInfo.credId</c>). Runs only on refusal, so a
    /// good request pays for the typed read alone.
    /// </summary>
    public static string Explain(ReadOnlyMemory<byte> bytes, JsonTypeInfo type, JsonException refusal)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            return NotAnObject;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return NotAnObject;
            }

            // JsonDocument checks neither the bytes inside strings nor that escapes make valid UTF-16; reading such a
            // name or value would throw. Every string, names and nested ones included, is checked before anything reads it.
            if (JsonText.FindBadString(root) is { } badText)
            {
                return badText.Message;
            }

            return ExplainObject(root, type, "")
                ?? (refusal.Path is { Length: > 2 } path ? $"{path[2..]} is not valid" : NotAnObject);
        }
    }

    /// <summary>Why a body the typed read took still holds a string the API refuses (see <see cref="JsonText"/>), or null.</summary>
    public static string? BadText(ReadOnlyMemory<byte> bytes)
    {
        using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
        return JsonText.FindBadString(document.RootElement)?.Message;
    }

    private const string NotAnObject = "body must be a JSON object";

    private static string? ExplainObject(JsonElement obj, JsonTypeInfo type, string path)
    {
        var prefix = path.Length == 0 ? "" : path + ".";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            var name = property.Name;
            if (!type.Properties.Any(p => p.Name == name))
            {
                return $"unknown field: {prefix}{JsonText.Printable(name)}";
            }

            if (!seen.Add(name))
            {
                return $"duplicate field: {prefix}{name}";
            }
        }

        foreach (var member in type.Properties)
        {
            var field = prefix + member.Name;
            // As the typed read decides: a member without a default must be present, and only a nullable one may be null.
            var present = obj.TryGetProperty(member.Name, out var value);
            if (!present || value.ValueKind == JsonValueKind.Null)
            {
                if (present ? !member.IsSetNullable : member.IsRequired || member.AssociatedParameter is { HasDefaultValue: false })
                {
                    return $"{field} is required";
                }

                continue;
            }

            if (ExplainValue(value, member.PropertyType, type.Options, field) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? ExplainValue(JsonElement value, Type type, JsonSerializerOptions options, string field)
    {
        if (type == typeof(string))
        {
            return value.ValueKind == JsonValueKind.String ? null : $"{field} must be a string";
        }

        if (type == typeof(JsonElement) || Nullable.GetUnderlyingType(type) == typeof(JsonElement))
        {
            return null;
        }

        var info = options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object when value.ValueKind != JsonValueKind.Object => $"{field} must be an object",
            JsonTypeInfoKind.Object => ExplainObject(value, info, field),
            JsonTypeInfoKind.Enumerable when value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String)
                => $"{field} must be an array of strings",
            _ => null,
        };
    }

    /// <summary>The first of <paramref name="fields"/> that is empty, as "<c>name is required</c>" (a required string must say something).</summary>
    public static string? FirstEmpty(params ReadOnlySpan<(string Name, string? Value)> fields)
    {
        foreach (var (name, value) in fields)
        {
            if (string.IsNullOrEmpty(value))
            {
                return $"{name} is required";
            }
        }

        return null;
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
}
