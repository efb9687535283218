using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// A handler parameter that may refuse the call (a missing token, a malformed body) and may say which organization the
/// call is about. <see cref="DfnsCallFilter"/> asks each in the order of the handler's parameters.
/// </summary>
public interface IDfnsCheck
{
    /// <summary>The answer that refuses the call, or null; sets <see cref="DfnsCall.OrgId"/> when it learns it.</summary>
    ValueTask<IResult?> CheckAsync(HttpContext context, DfnsCall call);
}

/// <summary>What the Dfns headers of one call said, once <see cref="DfnsCallFilter"/> accepted them.</summary>
public sealed class DfnsCall
{
    /// <summary>The organization the call is about: the body's <c>orgId</c>, the registration token's, the service account's.</summary>
    public string? OrgId { get; set; }

    /// <summary>The <c>X-DFNS-APPID</c> that was sent and accepted, or null.</summary>
    public string? AppId { get; internal set; }

    /// <summary>The <c>X-DFNS-NONCE</c> to record as used with the call's own write, or null.</summary>
    public NonceClaim? Nonce { get; internal set; }

    internal bool HeadersChecked { get; set; }

    public static ValueTask<DfnsCall?> BindAsync(HttpContext context) => ValueTask.FromResult<DfnsCall?>(For(context));

    internal static DfnsCall For(HttpContext context)
    {
        if (context.Features.Get<DfnsCall>() is { } call)
        {
            return call;
        }

        call = new DfnsCall();
        context.Features.Set(call);
        return call;
    }
}

/// <summary>
/// The one gate of every <c>/auth</c> endpoint, after binding and before the handler: each <see cref="IDfnsCheck"/>
/// parameter in order, and as soon as the organization is known, the <c>X-DFNS-APPID</c> and <c>X-DFNS-NONCE</c> headers
/// (<see cref="AuthHeaders.CheckAsync"/>). With <paramref name="claimNonce"/> the filter also records the nonce as used
/// (for calls whose own write does not).
/// </summary>
public sealed class DfnsCallFilter(bool claimNonce) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var call = DfnsCall.For(http);
        foreach (var argument in context.Arguments)
        {
            if (argument is IDfnsCheck check && await check.CheckAsync(http, call) is { } refusal)
            {
                return refusal;
            }

            if (!call.HeadersChecked && call.OrgId is { } orgId && await CheckHeadersAsync(http, call, orgId) is { } headerRefusal)
            {
                return headerRefusal;
            }
        }

        if (!call.HeadersChecked)
        {
            throw new InvalidOperationException($"{http.Request.Path}: no parameter of the handler says which organization the call is about.");
        }

        return await next(context);
    }

    private async ValueTask<IResult?> CheckHeadersAsync(HttpContext http, DfnsCall call, string orgId)
    {
        call.HeadersChecked = true;
        var (appId, nonce, error) = await AuthHeaders.CheckAsync(http, orgId);
        if (error is not null)
        {
            return error;
        }

        call.AppId = appId;
        call.Nonce = nonce;
        if (claimNonce && nonce is not null)
        {
            // The call has no write of its own to claim the nonce in: it takes one of its own in the writer.
            var writes = http.RequestServices.GetRequiredService<WriteQueue>();
            if (!await writes.ExecuteAsync(nonce.ClaimAsync))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed);
            }
        }

        return null;
    }
}
