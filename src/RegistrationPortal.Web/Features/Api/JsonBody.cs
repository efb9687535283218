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
/// The body of an <c>/auth</c> call as a handler parameter: the typed request, or the answer that refuses it. Binding
/// never answers by itself; <see cref="DfnsCallFilter"/> turns a refusal into the answer, in the order the handler's
/// parameters give (the bearer token before the body, for instance). The exact bytes stay available, for a user action
/// that was signed over them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "BindAsync and PopulateMetadata are the framework's static conventions for parameters.")]
public sealed class JsonBody<T> : IDfnsCheck, IEndpointParameterMetadataProvider where T : class, IJsonRequest<T>
{
    private readonly T? _value;

    private JsonBody(T? value, IResult? error, ReadOnlyMemory<byte> bytes)
    {
        _value = value;
        Error = error;
        Bytes = bytes;
    }

    /// <summary>The request; never null once <see cref="DfnsCallFilter"/> let the call through.</summary>
    public T Value => _value ?? throw new InvalidOperationException($"The body of this call was refused; {nameof(DfnsCallFilter)} must run before the handler.");

    public IResult? Error { get; }

    /// <summary>The body exactly as received.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public static async ValueTask<JsonBody<T>?> BindAsync(HttpContext context)
    {
        var (bytes, error) = await JsonRequest.ReadBytesAsync(context);
        if (error is not null)
        {
            return new JsonBody<T>(null, error, bytes);
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes.Span, T.JsonType);
        }
        catch (JsonException ex)
        {
            return Refused(JsonRequest.Explain(bytes, T.JsonType, ex), bytes);
        }

        // A JSON null body deserializes to null without complaint.
        return value is null ? Refused("body must be a JSON object", bytes)
            : value.Problem() is { } problem ? Refused(problem, bytes)
            : new JsonBody<T>(value, null, bytes);
    }

    private static JsonBody<T> Refused(string message, ReadOnlyMemory<byte> bytes) =>
        new(null, DfnsErrors.Result(StatusCodes.Status400BadRequest, message), bytes);

    ValueTask<IResult?> IDfnsCheck.CheckAsync(HttpContext context, DfnsCall call)
    {
        if (Error is null && _value is IHasOrgId about)
        {
            call.OrgId = about.OrgId;
        }

        return ValueTask.FromResult(Error);
    }

    /// <summary>The OpenAPI document's request body: this record, as JSON.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        builder.Metadata.Add(new AcceptsMetadata(["application/json"], typeof(T)));
}
