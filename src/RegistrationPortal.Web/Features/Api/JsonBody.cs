using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// A request record of the <c>/auth</c> surface: read strictly by its source-generated <see cref="JsonTypeInfo"/>
/// (unknown and repeated members refused, required members required, nulls only where the record allows them), then
/// checked by <see cref="Problem"/> for what a type cannot say (an email address, an id's form, an empty string).
/// </summary>
public interface IJsonRequest<TSelf> where TSelf : IJsonRequest<TSelf>
{
    static abstract JsonTypeInfo<TSelf> JsonType { get; }

    /// <summary>The first thing wrong with a well-shaped request, as the 400 message naming the field; null when none.</summary>
    string? Problem();
}

/// <summary>A request that is about one organization: the <c>X-DFNS-APPID</c> header must be an application of it.</summary>
public interface IHasOrgId
{
    string OrgId { get; }
}

/// <summary>
/// The body of an <c>/auth</c> call as a handler parameter: the typed request, or the answer that refuses it. Nothing is
/// read at binding: <see cref="DfnsCallFilter"/> reads and checks the body when its turn comes in the order of the
/// handler's parameters (after the bearer token, after a user action spent over the same bytes), and answers a refusal.
/// The exact bytes stay available.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "BindAsync and PopulateMetadata are the framework's static conventions for parameters.")]
public sealed class JsonBody<T> : IDfnsCheck, IEndpointParameterMetadataProvider where T : class, IJsonRequest<T>
{
    private T? _value;

    private JsonBody()
    {
    }

    /// <summary>The request; there once <see cref="DfnsCallFilter"/> let the call through.</summary>
    public T Value => _value ?? throw new InvalidOperationException($"The body of this call was not read; {nameof(DfnsCallFilter)} must run before the handler.");

    /// <summary>The body exactly as received.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    public static ValueTask<JsonBody<T>?> BindAsync(HttpContext context) => ValueTask.FromResult<JsonBody<T>?>(new());

    /// <summary>Reads the body once (bounded, JSON content type), then the typed record from those bytes; the answer that refuses it, or null.</summary>
    public async ValueTask<IResult?> ReadAsync(HttpContext context)
    {
        var (bytes, error) = await JsonRequest.ReadBytesAsync(context);
        if (error is not null)
        {
            return error;
        }

        Bytes = bytes;
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes.Span, T.JsonType);
        }
        catch (JsonException ex)
        {
            return Refused(JsonRequest.Explain(bytes, T.JsonType, ex));
        }

        // A JSON null body deserializes to null without complaint.
        if (value is null)
        {
            return Refused("body must be a JSON object");
        }

        // So does a NUL in a string, which no text column of PostgreSQL holds: looked for only when the body spells one.
        if (bytes.Span.IndexOf("\\u0000"u8) >= 0 && JsonRequest.BadText(bytes) is { } badText)
        {
            return Refused(badText);
        }

        if (value.Problem() is { } problem)
        {
            return Refused(problem);
        }

        _value = value;
        return null;
    }

    private static DfnsErrorResult Refused(string message) => DfnsErrors.Result(StatusCodes.Status400BadRequest, message);

    async ValueTask<IResult?> IDfnsCheck.CheckAsync(HttpContext context, DfnsCall call)
    {
        var refusal = await ReadAsync(context);
        if (refusal is null && _value is IHasOrgId about)
        {
            call.OrgId = about.OrgId;
        }

        return refusal;
    }

    /// <summary>The OpenAPI document's request body: this record, as JSON.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        builder.Metadata.Add(new AcceptsMetadata(["application/json"], typeof(T)));
}
