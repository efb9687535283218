using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>The body of <c>POST /auth/users</c> (for the OpenAPI document; the handler reads JSON strictly).</summary>
public sealed record CreateUserRequest(string Email, string Kind, string? ExternalId);

/// <summary>The body of <c>POST /auth/action/init</c>.</summary>
public sealed record UserActionInitRequest(string UserActionPayload, string UserActionHttpMethod, string UserActionHttpPath, string? UserActionServerKind);

public sealed record CredentialKindSupport(string Kind, string Factor, bool RequiresSecondFactor);

public sealed record AllowedCredential(string Type, string Id);

public sealed record AllowedCredentials(IReadOnlyList<AllowedCredential> Key, IReadOnlyList<AllowedCredential> Webauthn);

public sealed record UserActionChallengeResponse(
    string Challenge,
    string ChallengeIdentifier,
    IReadOnlyList<CredentialKindSupport> SupportedCredentialKinds,
    string UserVerification,
    string Attestation,
    AllowedCredentials AllowCredentials,
    string ExternalAuthenticationUrl);

public sealed record KeyAssertion(string CredId, string ClientData, string Signature, string? Algorithm);

public sealed record UserActionFactor(string Kind, KeyAssertion CredentialAssertion);

/// <summary>The body of <c>POST /auth/action</c>.</summary>
public sealed record UserActionSignRequest(string ChallengeIdentifier, UserActionFactor FirstFactor);

public sealed record UserActionResponse(string UserAction);

/// <summary>
/// The Dfns users API for programs, with a service account's bearer token, scoped to its organization: list, read,
/// invite, deactivate and reactivate users. Every changing call carries <c>X-DFNS-USERACTION</c>, a single-use token
/// from <c>POST /auth/action/init</c> and <c>POST /auth/action</c> signed with the account's key and bound to that
/// call's method, path and exact body.
/// </summary>
public static class UsersApi
{
    public const string UserActionHeader = "X-DFNS-USERACTION";
    public const string ReadOnlyMessage = "This service account may only read users.";

    private static readonly string[] CreateUserFields = ["email", "kind", "externalId", "isSSORequired", "publicKey"];
    private static readonly string[] InitFields = ["userActionPayload", "userActionHttpMethod", "userActionHttpPath", "userActionServerKind"];
    private static readonly string[] SignFields = ["challengeIdentifier", "firstFactor", "secondFactor"];
    private static readonly string[] FactorFields = ["kind", "credentialAssertion"];
    private static readonly string[] AssertionFields = ["credId", "clientData", "signature", "algorithm"];
    private static readonly string[] Methods = ["POST", "PUT", "DELETE", "GET"];

    private static readonly IReadOnlyList<CredentialKindSupport> KeyOnly = [new("Key", "first", false)];

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapAuthGroup().WithTags("Users (service accounts)");

        group.MapPost("/action/init", InitUserAction)
            .WithName("CreateUserActionChallenge")
            .WithSummary("Create user action challenge")
            .WithDescription("With a service account's bearer token: starts signing one future changing call, bound to its method, path and exact body (userActionPayload). Answers the challenge the account's key signs. Read-only accounts get 403.")
            .Accepts<UserActionInitRequest>("application/json")
            .Produces<UserActionChallengeResponse>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapPost("/action", SignUserAction)
            .WithName("CreateUserActionSignature")
            .WithSummary("Sign user action")
            .WithDescription("Verifies the Key assertion (ECDSA P-256 over the clientData bytes {\"type\":\"key.get\",\"challenge\":…}, DER, base64url) and answers the user action token for the X-DFNS-USERACTION header: single use, short-lived.")
            .Accepts<UserActionSignRequest>("application/json")
            .Produces<UserActionResponse>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapPost("/users", CreateUser)
            .WithName("CreateUser")
            .WithSummary("Create user")
            .WithDescription("Invites a user into the service account's organization: a pending user is created and a registration code is emailed, exactly as an admin's invitation. Requires X-DFNS-USERACTION. A user with the same email: 409.")
            .Accepts<CreateUserRequest>("application/json")
            .Produces<DfnsUser>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapGet("/users", ListUsers)
            .WithName("ListUsers")
            .WithSummary("List users")
            .WithDescription("The organization's users, by email, limit (1 to 100, default 100) at a time; pass nextPageToken back as paginationToken for the next page. kind filters (CustomerEmployee or EndUser).")
            .Produces<DfnsUserPage>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapGet("/users/{userId}", GetUser)
            .WithName("GetUser")
            .WithSummary("Get user")
            .WithDescription("One user of the organization; any other id, a user of another organization included, is 404.")
            .Produces<DfnsUser>(StatusCodes.Status200OK)
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound)
            .ProducesDfnsErrors();

        group.MapPut("/users/{userId}/activate", ActivateUser)
            .WithName("ActivateUser")
            .WithSummary("Activate user")
            .WithDescription("Makes a deactivated pending user pending again (no code is sent). Requires X-DFNS-USERACTION. A registered user: 409.")
            .Produces<DfnsUser>(StatusCodes.Status200OK)
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound)
            .ProducesDfnsErrors();

        group.MapPut("/users/{userId}/deactivate", DeactivateUser)
            .WithName("DeactivateUser")
            .WithSummary("Deactivate user")
            .WithDescription("Deactivates a pending user: every outstanding registration code stops working. Requires X-DFNS-USERACTION. A registered user: 409.")
            .Produces<DfnsUser>(StatusCodes.Status200OK)
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound)
            .ProducesDfnsErrors();

        return app;
    }

    public static async Task<IResult> InitUserAction(HttpContext context, ServiceAccountService accounts)
    {
        var (caller, refusal) = await AuthorizeAsync(context, write: true);
        if (caller is null)
        {
            return refusal!;
        }

        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, InitFields);
        if (document is null)
        {
            return error!;
        }

        string payload;
        string method;
        string path;
        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("userActionPayload", out var payloadValue) || payloadValue.ValueKind != JsonValueKind.String)
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, payloadValue.ValueKind == JsonValueKind.Undefined ? "userActionPayload is required" : "userActionPayload must be a string");
            }

            payload = payloadValue.GetString()!;
            var methodText = JsonRequest.RequiredString(root, "userActionHttpMethod", out error);
            var pathText = methodText is null ? null : JsonRequest.RequiredString(root, "userActionHttpPath", out error);
            var serverKind = pathText is null ? null : JsonRequest.OptionalString(root, "userActionServerKind", "userActionServerKind", out error);
            if (error is not null)
            {
                return error;
            }

            if (!Methods.Contains(methodText, StringComparer.Ordinal))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "userActionHttpMethod must be POST, PUT, DELETE or GET");
            }

            if (!pathText!.StartsWith("/auth/", StringComparison.Ordinal) || pathText.Length > UserActions.MaxPathLength)
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "userActionHttpPath must be a path of this API (/auth/…)");
            }

            if (serverKind is not null and not "Api")
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "userActionServerKind must be Api");
            }

            method = methodText!;
            path = pathText;
        }

        var challenge = await accounts.CreateChallengeAsync(caller, method, path, payload);
        return Results.Json(new UserActionChallengeResponse(
            challenge.Challenge,
            challenge.ChallengeIdentifier,
            KeyOnly,
            "discouraged",
            "none",
            new AllowedCredentials([new AllowedCredential("public-key", challenge.CredId)], []),
            ""));
    }

    public static async Task<IResult> SignUserAction(HttpContext context, ServiceAccountService accounts)
    {
        var (caller, refusal) = await AuthorizeAsync(context, write: true);
        if (caller is null)
        {
            return refusal!;
        }

        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, SignFields);
        if (document is null)
        {
            return error!;
        }

        string identifier;
        string credId;
        string clientData;
        string signature;
        using (document)
        {
            var root = document.RootElement;
            if (root.TryGetProperty("secondFactor", out var second) && second.ValueKind != JsonValueKind.Null)
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "secondFactor is not supported: a service account signs with its key alone");
            }

            var identifierText = JsonRequest.RequiredString(root, "challengeIdentifier", out error);
            var factor = identifierText is null ? null : JsonRequest.RequiredObject(root, "firstFactor", "firstFactor", FactorFields, out error);
            var kind = factor is null ? null : JsonRequest.RequiredString(factor.Value, "kind", "firstFactor.kind", out error);
            if (error is not null)
            {
                return error;
            }

            if (kind != "Key")
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "firstFactor.kind must be Key");
            }

            var assertion = JsonRequest.RequiredObject(factor!.Value, "credentialAssertion", "firstFactor.credentialAssertion", AssertionFields, out error);
            var credIdText = assertion is null ? null : JsonRequest.RequiredString(assertion.Value, "credId", "firstFactor.credentialAssertion.credId", out error);
            var clientDataText = credIdText is null ? null : JsonRequest.RequiredString(assertion!.Value, "clientData", "firstFactor.credentialAssertion.clientData", out error);
            var signatureText = clientDataText is null ? null : JsonRequest.RequiredString(assertion!.Value, "signature", "firstFactor.credentialAssertion.signature", out error);
            if (signatureText is not null)
            {
                JsonRequest.OptionalString(assertion!.Value, "algorithm", "firstFactor.credentialAssertion.algorithm", out error);
            }

            if (error is not null)
            {
                return error;
            }

            identifier = identifierText!;
            credId = credIdText!;
            clientData = clientDataText!;
            signature = signatureText!;
        }

        var token = await accounts.SignAsync(caller, identifier, credId, clientData, signature, ClientAddress(context));
        return token is null
            ? DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized)
            : Results.Json(new UserActionResponse(token));
    }

    public static async Task<IResult> CreateUser(HttpContext context, UsersApiService users)
    {
        var (caller, refusal) = await AuthorizeChangeAsync(context);
        if (caller is null)
        {
            return refusal!;
        }

        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, CreateUserFields);
        if (document is null)
        {
            return error!;
        }

        string email;
        UserKind kind;
        using (document)
        {
            var root = document.RootElement;
            var emailText = JsonRequest.RequiredString(root, "email", out error);
            var kindText = emailText is null ? null : JsonRequest.RequiredString(root, "kind", out error);
            if (kindText is not null)
            {
                JsonRequest.OptionalString(root, "externalId", "externalId", out error);
            }

            if (error is not null)
            {
                return error;
            }

            if (!EmailAddress.IsValid(emailText))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "email must be an email address");
            }

            if (!Enum.TryParse(kindText, ignoreCase: false, out kind) || !Enum.IsDefined(kind))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "kind must be CustomerEmployee or EndUser");
            }

            if (root.TryGetProperty("isSSORequired", out var sso) && sso.ValueKind is not (JsonValueKind.False or JsonValueKind.Null))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "isSSORequired is not supported: users register with the emailed code");
            }

            if (root.TryGetProperty("publicKey", out var key) && key.ValueKind != JsonValueKind.Null)
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "publicKey is not supported: users register with the emailed code");
            }

            email = emailText!;
        }

        var outcome = await users.InviteAsync(caller, email, kind, ClientAddress(context));
        return outcome.Status switch
        {
            InviteStatus.Invited => Results.Json(await users.FindAsync(caller.OrgId, outcome.UserId!)),
            InviteStatus.DuplicateEmail => DfnsErrors.Result(StatusCodes.Status409Conflict, "A user with this email already exists in the organization."),
            InviteStatus.InvalidEmail => DfnsErrors.Result(StatusCodes.Status400BadRequest, "email must be an email address"),
            _ => DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized),
        };
    }

    public static async Task<IResult> ListUsers(HttpContext context, UsersApiService users)
    {
        var (caller, refusal) = await AuthorizeAsync(context, write: false);
        if (caller is null)
        {
            return refusal!;
        }

        var query = context.Request.Query;
        var limit = UsersApiService.DefaultPageSize;
        if (query.TryGetValue("limit", out var limitValues)
            && (limitValues.Count != 1 || !int.TryParse(limitValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > UsersApiService.MaxPageSize))
        {
            return DfnsErrors.Result(StatusCodes.Status400BadRequest, $"limit must be a whole number from 1 to {UsersApiService.MaxPageSize}");
        }

        string? after = null;
        if (query.TryGetValue("paginationToken", out var tokenValues))
        {
            after = tokenValues.Count == 1 && tokenValues[0] is { Length: > 0 } token ? UsersApiService.ReadPageToken(token) : null;
            if (after is null)
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "paginationToken is not a token this API gave");
            }
        }

        UserKind? kind = null;
        if (query.TryGetValue("kind", out var kindValues))
        {
            if (kindValues.Count != 1 || !Enum.TryParse<UserKind>(kindValues[0], ignoreCase: false, out var parsed) || !Enum.IsDefined(parsed))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "kind must be CustomerEmployee or EndUser");
            }

            kind = parsed;
        }

        return Results.Json(await users.ListAsync(caller, limit, after, kind, ClientAddress(context), context.RequestAborted));
    }

    public static async Task<IResult> GetUser(HttpContext context, string userId, UsersApiService users)
    {
        var (caller, refusal) = await AuthorizeAsync(context, write: false);
        if (caller is null)
        {
            return refusal!;
        }

        var user = await users.GetAsync(caller, userId, ClientAddress(context), context.RequestAborted);
        return user is null ? NotFound() : Results.Json(user);
    }

    public static Task<IResult> ActivateUser(HttpContext context, string userId, UsersApiService users) => SetActiveAsync(context, userId, active: true, users);

    public static Task<IResult> DeactivateUser(HttpContext context, string userId, UsersApiService users) => SetActiveAsync(context, userId, active: false, users);

    private static async Task<IResult> SetActiveAsync(HttpContext context, string userId, bool active, UsersApiService users)
    {
        var (caller, refusal) = await AuthorizeChangeAsync(context);
        if (caller is null)
        {
            return refusal!;
        }

        var outcome = await users.SetActiveAsync(caller, userId, active, ClientAddress(context));
        return outcome.Status switch
        {
            UserStateStatus.Changed or UserStateStatus.Unchanged => Results.Json(await users.FindAsync(caller.OrgId, userId)),
            UserStateStatus.AlreadyRegistered => DfnsErrors.Result(StatusCodes.Status409Conflict, "The user has registered: only pending users can be deactivated or activated."),
            _ => NotFound(),
        };
    }

    private static IResult NotFound() => DfnsErrors.Result(StatusCodes.Status404NotFound, "User not found.");

    private static string? ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    /// <summary>The service account behind the bearer token, within its per-token limit and, for a change, allowed to write.</summary>
    private static async Task<(ServiceAccountCaller? Caller, IResult? Refusal)> AuthorizeAsync(HttpContext context, bool write)
    {
        var services = context.RequestServices;
        var caller = await services.GetRequiredService<ServiceAccountService>().AuthenticateAsync(AuthHeaders.BearerToken(context.Request, ServiceAccountSecrets.MaxSecretLength) is { Length: > 0 } token ? token : null, ClientAddress(context), context.RequestAborted);
        if (caller is null)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized));
        }

        if (services.GetRequiredService<ServiceAccountLimiter>().TryAcquire(caller.Id) is { } retryAfter)
        {
            return (null, DfnsErrors.Throttled(context, retryAfter, "Too many requests with this token."));
        }

        if (write && !caller.CanWrite)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status403Forbidden, ReadOnlyMessage));
        }

        return (caller, null);
    }

    /// <summary>
    /// <see cref="AuthorizeAsync"/> for a changing call, then spends its <c>X-DFNS-USERACTION</c>: read before anything
    /// else of the body, whose exact bytes it must have been signed for. The body is kept for the handler to read.
    /// </summary>
    private static async Task<(ServiceAccountCaller? Caller, IResult? Refusal)> AuthorizeChangeAsync(HttpContext context)
    {
        var (caller, refusal) = await AuthorizeAsync(context, write: true);
        if (caller is null)
        {
            return (null, refusal);
        }

        var request = context.Request;
        var maxBytes = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxBodyBytes;
        if (request.ContentLength > maxBytes)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status413PayloadTooLarge, $"Request body too large: at most {maxBytes} bytes."));
        }

        request.EnableBuffering(bufferThreshold: maxBytes + 1, bufferLimit: maxBytes + 1);
        var buffer = new byte[maxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status413PayloadTooLarge, $"Request body too large: at most {maxBytes} bytes."));
        }

        request.Body.Position = 0;
        var header = request.Headers[UserActionHeader];
        var path = (request.PathBase + request.Path).ToUriComponent();
        var status = await context.RequestServices.GetRequiredService<ServiceAccountService>()
            .ConsumeAsync(caller, header.Count == 1 ? header[0] : null, request.Method, path, UserActions.PayloadHash(buffer.AsSpan(0, length)), ClientAddress(context));
        return status switch
        {
            UserActionStatus.Accepted => (caller, null),
            UserActionStatus.Missing => (null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, $"{UserActionHeader} is required: sign this call through /auth/action/init and /auth/action")),
            UserActionStatus.Mismatch => (null, DfnsErrors.Result(StatusCodes.Status403Forbidden, "The user action was signed for another request.")),
            _ => (null, DfnsErrors.Result(StatusCodes.Status401Unauthorized, "The user action is invalid, expired or already used.")),
        };
    }
}
