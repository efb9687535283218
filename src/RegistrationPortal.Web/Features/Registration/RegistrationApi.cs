using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>The body of <c>PUT /auth/registration/code</c> (for the OpenAPI document; the handler reads JSON strictly).</summary>
public sealed record ResendCodeRequest(string Username, string OrgId);

/// <summary>The Dfns-compatible registration calls, served at the host's root as the SDK expects.</summary>
public static class RegistrationApi
{
    private static readonly string[] ResendFields = ["username", "orgId"];

    public static IEndpointRouteBuilder MapRegistrationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapAuthGroup();

        group.MapPut("/registration/code", ResendCode)
            .WithName("ResendRegistrationCode")
            .WithSummary("Resend registration code")
            .WithDescription("Sends the user a new registration code; every earlier code stops working. A registered, unknown or deactivated user, or an unknown organization, gets the same answer and nothing happens.")
            .Accepts<ResendCodeRequest>("application/json")
            .Produces<DfnsSuccessBody>(StatusCodes.Status200OK)
            .Produces<DfnsErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<DfnsErrorBody>(StatusCodes.Status401Unauthorized)
            .Produces<DfnsErrorBody>(StatusCodes.Status403Forbidden)
            .Produces<DfnsErrorBody>(StatusCodes.Status413PayloadTooLarge)
            .Produces<DfnsErrorBody>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<DfnsErrorBody>(StatusCodes.Status429TooManyRequests);

        return app;
    }

    public static async Task<IResult> ResendCode(HttpContext context, RegistrationService registration)
    {
        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, ResendFields);
        if (document is null)
        {
            return error!;
        }

        string? username;
        string? orgId;
        using (document)
        {
            username = JsonRequest.RequiredString(document.RootElement, "username", out error);
            if (username is null)
            {
                return error!;
            }

            orgId = JsonRequest.RequiredString(document.RootElement, "orgId", out error);
            if (orgId is null)
            {
                return error!;
            }
        }

        if (!EmailAddress.IsValid(username))
        {
            return DfnsErrors.Result(StatusCodes.Status400BadRequest, "username must be an email address");
        }

        if (!Ids.IsValid(orgId, Ids.Organization))
        {
            return DfnsErrors.Result(StatusCodes.Status400BadRequest, "orgId must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)");
        }

        var (appId, nonce, headerError) = await AuthHeaders.CheckAsync(context, orgId);
        if (headerError is not null)
        {
            return headerError;
        }

        var actor = Actor.Api(appId, context.Connection.RemoteIpAddress?.ToString());
        var outcome = await registration.ResendAsync(orgId, username, actor, nonce);
        return outcome.Status switch
        {
            ResendStatus.NonceReplayed => DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed),
            ResendStatus.Throttled => Throttled(context, outcome.RetryAfter!.Value),

            // Sent, registered, deactivated, unknown: one answer, byte for byte.
            _ => Results.Json(DfnsSuccessBody.Success),
        };
    }

    private static IResult Throttled(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return DfnsErrors.Result(StatusCodes.Status429TooManyRequests, $"Too many requests for this user. Retry after {seconds} seconds.");
    }
}
