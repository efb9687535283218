using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>The body of <c>POST /auth/users</c>. <c>isSSORequired</c> and <c>publicKey</c> are the Dfns shape's, accepted only as absent, null (or false).</summary>
public sealed record CreateUserRequest(string Email, string Kind, string? ExternalId = null, JsonElement? IsSSORequired = null, JsonElement? PublicKey = null) : IJsonRequest<CreateUserRequest>
{
    public static JsonTypeInfo<CreateUserRequest> JsonType => UsersJson.Default.CreateUserRequest;

    [JsonIgnore]
    public UserKind UserKind => Enum.Parse<UserKind>(Kind);

    public string? Problem() =>
        JsonRequest.FirstEmpty(("email", Email), ("kind", Kind))
        ?? (!EmailAddress.IsValid(Email) ? "email must be an email address"
        : !Enum.TryParse<UserKind>(Kind, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || !Kind.All(char.IsAsciiLetter) ? "kind must be CustomerEmployee or EndUser"
        : IsSSORequired is { ValueKind: not (JsonValueKind.False or JsonValueKind.Null) } ? "isSSORequired is not supported: users register with the emailed code"
        : PublicKey is { ValueKind: not JsonValueKind.Null } ? "publicKey is not supported: users register with the emailed code"
        : null);
}

/// <summary>The body of <c>POST /auth/action/init</c>: the call to sign, its body exactly as it will be sent (empty for none).</summary>
public sealed record UserActionInitRequest(string UserActionPayload, string UserActionHttpMethod, string UserActionHttpPath, string? UserActionServerKind = null)
    : IJsonRequest<UserActionInitRequest>
{
    private static readonly string[] Methods = ["POST", "PUT", "DELETE", "GET"];

    public static JsonTypeInfo<UserActionInitRequest> JsonType => UsersJson.Default.UserActionInitRequest;

    public string? Problem() =>
        JsonRequest.FirstEmpty(("userActionHttpMethod", UserActionHttpMethod), ("userActionHttpPath", UserActionHttpPath))
        ?? (!Methods.Contains(UserActionHttpMethod, StringComparer.Ordinal) ? "userActionHttpMethod must be POST, PUT, DELETE or GET"
        : !UserActionHttpPath.StartsWith("/auth/", StringComparison.Ordinal) || UserActionHttpPath.Length > UserActions.MaxPathLength
            || !UserActionHttpPath.All(c => c is > ' ' and < '\x7f') ? "userActionHttpPath must be a path of this API (/auth/…)"
        : UserActionServerKind is not null and not "Api" ? "userActionServerKind must be Api"
        : null);
}

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

public sealed record KeyAssertion(string CredId, string ClientData, string Signature, string? Algorithm = null);

public sealed record UserActionFactor(string Kind, KeyAssertion CredentialAssertion);

/// <summary>The body of <c>POST /auth/action</c>. A <c>secondFactor</c> is the Dfns shape's, accepted only as absent or null.</summary>
public sealed record UserActionSignRequest(string ChallengeIdentifier, UserActionFactor FirstFactor, JsonElement? SecondFactor = null) : IJsonRequest<UserActionSignRequest>
{
    public static JsonTypeInfo<UserActionSignRequest> JsonType => UsersJson.Default.UserActionSignRequest;

    public string? Problem()
    {
        const string Assertion = "firstFactor.credentialAssertion";
        if (SecondFactor is { ValueKind: not JsonValueKind.Null })
        {
            return "secondFactor is not supported: a service account signs with its key alone";
        }

        var assertion = FirstFactor.CredentialAssertion;
        return JsonRequest.FirstEmpty(("challengeIdentifier", ChallengeIdentifier), ("firstFactor.kind", FirstFactor.Kind))
            ?? (FirstFactor.Kind != "Key" ? "firstFactor.kind must be Key" : null)
            ?? JsonRequest.FirstEmpty((Assertion + ".credId", assertion.CredId), (Assertion + ".clientData", assertion.ClientData), (Assertion + ".signature", assertion.Signature));
    }
}

/// <summary>The users API's bodies, read as strictly as the registration API's.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = JsonRequest.MaxDepth)]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UserActionInitRequest))]
[JsonSerializable(typeof(UserActionSignRequest))]
internal sealed partial class UsersJson : JsonSerializerContext;

/// <summary>
/// The service account behind the bearer token, as a handler parameter: checked by <see cref="DfnsCallFilter"/> before
/// anything else of the call (the token, its per-token limit, for a change the right to write); its organization is
/// the call's.
/// </summary>
public abstract class ServiceAccountCall(bool write) : IDfnsCheck
{
    private ServiceAccountCaller? _caller;

    public ServiceAccountCaller Caller => _caller ?? throw new InvalidOperationException($"{nameof(DfnsCallFilter)} must run before the handler.");

    async ValueTask<IResult?> IDfnsCheck.CheckAsync(HttpContext context, DfnsCall call)
    {
        var services = context.RequestServices;
        var token = AuthHeaders.BearerToken(context.Request, ServiceAccountSecrets.MaxSecretLength) is { Length: > 0 } bearer ? bearer : null;
        var caller = await services.GetRequiredService<ServiceAccountService>().AuthenticateAsync(token, UsersApi.ClientAddress(context), context.RequestAborted);
        if (caller is null)
        {
            return DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized);
        }

        if (services.GetRequiredService<ServiceAccountLimiter>().TryAcquire(caller.Id) is { } retryAfter)
        {
            return DfnsErrors.Throttled(context, retryAfter, "Too many requests with this token.");
        }

        if (write && !caller.CanWrite)
        {
            return DfnsErrors.Result(StatusCodes.Status403Forbidden, UsersApi.ReadOnlyMessage);
        }

        _caller = caller;
        context.Features.Set(caller);
        call.OrgId = caller.OrgId;
        return null;
    }
}

/// <summary>A service account that may read users.</summary>
public sealed class ReadingServiceAccount() : ServiceAccountCall(write: false)
{
    public static ValueTask<ReadingServiceAccount?> BindAsync(HttpContext context) => ValueTask.FromResult<ReadingServiceAccount?>(new());
}

/// <summary>A service account that may change users (and sign user actions).</summary>
public sealed class WritingServiceAccount() : ServiceAccountCall(write: true)
{
    public static ValueTask<WritingServiceAccount?> BindAsync(HttpContext context) => ValueTask.FromResult<WritingServiceAccount?>(new());
}

/// <summary>
/// The <c>X-DFNS-USERACTION</c> of a changing call, spent by <see cref="DfnsCallFilter"/> after the service account's
/// check and before anything reads the body: it must have been signed for this method, path and these exact bytes,
/// the same bytes the body is then read from.
/// </summary>
public sealed class SignedUserAction : IDfnsCheck
{
    public static ValueTask<SignedUserAction?> BindAsync(HttpContext context) => ValueTask.FromResult<SignedUserAction?>(new());

    async ValueTask<IResult?> IDfnsCheck.CheckAsync(HttpContext context, DfnsCall call)
    {
        var caller = context.Features.Get<ServiceAccountCaller>()
            ?? throw new InvalidOperationException($"A {nameof(WritingServiceAccount)} parameter must come before the {nameof(SignedUserAction)}.");
        var (bytes, error) = await JsonRequest.ReadBytesAsync(context, requireJson: false);
        if (error is not null)
        {
            return error;
        }

        var request = context.Request;
        var header = request.Headers[UsersApi.UserActionHeader];
        var path = (request.PathBase + request.Path).ToUriComponent();
        var status = await context.RequestServices.GetRequiredService<ServiceAccountService>()
            .ConsumeAsync(caller, header.Count == 1 ? header[0] : null, request.Method, path, UserActions.PayloadHash(bytes.Span), UsersApi.ClientAddress(context));
        return status switch
        {
            UserActionStatus.Accepted => null,
            UserActionStatus.Missing => DfnsErrors.Result(StatusCodes.Status401Unauthorized, $"{UsersApi.UserActionHeader} is required: sign this call through /auth/action/init and /auth/action"),
            UserActionStatus.Mismatch => DfnsErrors.Result(StatusCodes.Status403Forbidden, "The user action was signed for another request."),
            _ => DfnsErrors.Result(StatusCodes.Status401Unauthorized, "The user action is invalid, expired or already used."),
        };
    }
}

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

    private static readonly IReadOnlyList<CredentialKindSupport> KeyOnly = [new("Key", "first", false)];

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        // These calls have no write of their own that could record a nonce, so the filter records it.
        var group = app.MapAuthGroup(claimNonce: true).WithTags("Users (service accounts)");

        group.MapPost("/action/init", InitUserAction)
            .WithName("CreateUserActionChallenge")
            .WithSummary("Create user action challenge")
            .WithDescription("With a service account's bearer token: starts signing one future changing call, bound to its method, path and exact body (userActionPayload). Answers the challenge the account's key signs. Read-only accounts get 403.");

        group.MapPost("/action", SignUserAction)
            .WithName("CreateUserActionSignature")
            .WithSummary("Sign user action")
            .WithDescription("Verifies the Key assertion (ECDSA P-256 over the clientData bytes {\"type\":\"key.get\",\"challenge\":…}, DER, base64url) and answers the user action token for the X-DFNS-USERACTION header: single use, short-lived.");

        group.MapPost("/users", CreateUser)
            .WithName("CreateUser")
            .WithSummary("Create user")
            .WithDescription("Invites a user into the service account's organization: a pending user is created and a registration code is emailed, exactly as an admin's invitation. Requires X-DFNS-USERACTION. A user with the same email: 409.")
            .Produces<DfnsErrorBody>(StatusCodes.Status409Conflict);

        group.MapGet("/users", ListUsers)
            .WithName("ListUsers")
            .WithSummary("List users")
            .WithDescription("The organization's users, by email, limit (1 to 100, default 100) at a time; pass nextPageToken back as paginationToken for the next page. kind filters (CustomerEmployee or EndUser).");

        group.MapGet("/users/{userId}", GetUser)
            .WithName("GetUser")
            .WithSummary("Get user")
            .WithDescription("One user of the organization; any other id, a user of another organization included, is 404.")
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound);

        group.MapPut("/users/{userId}/activate", ActivateUser)
            .WithName("ActivateUser")
            .WithSummary("Activate user")
            .WithDescription("Makes a deactivated pending user pending again (no code is sent). Requires X-DFNS-USERACTION. A registered user: 409.")
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound)
            .Produces<DfnsErrorBody>(StatusCodes.Status409Conflict);

        group.MapPut("/users/{userId}/deactivate", DeactivateUser)
            .WithName("DeactivateUser")
            .WithSummary("Deactivate user")
            .WithDescription("Deactivates a pending user: every outstanding registration code stops working. Requires X-DFNS-USERACTION. A registered user: 409.")
            .Produces<DfnsErrorBody>(StatusCodes.Status404NotFound)
            .Produces<DfnsErrorBody>(StatusCodes.Status409Conflict);

        return app;
    }

    public static async Task<Ok<UserActionChallengeResponse>> InitUserAction(WritingServiceAccount account, JsonBody<UserActionInitRequest> body, ServiceAccountService accounts)
    {
        var request = body.Value;
        var challenge = await accounts.CreateChallengeAsync(account.Caller, request.UserActionHttpMethod, request.UserActionHttpPath, request.UserActionPayload);
        return TypedResults.Ok(new UserActionChallengeResponse(
            challenge.Challenge,
            challenge.ChallengeIdentifier,
            KeyOnly,
            "discouraged",
            "none",
            new AllowedCredentials([new AllowedCredential("public-key", challenge.CredId)], []),
            ""));
    }

    public static async Task<Results<Ok<UserActionResponse>, DfnsErrorResult>> SignUserAction(
        WritingServiceAccount account, JsonBody<UserActionSignRequest> body, HttpContext context, ServiceAccountService accounts)
    {
        var request = body.Value;
        var assertion = request.FirstFactor.CredentialAssertion;
        var token = await accounts.SignAsync(account.Caller, request.ChallengeIdentifier, assertion.CredId, assertion.ClientData, assertion.Signature, ClientAddress(context));
        return token is null
            ? DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized)
            : TypedResults.Ok(new UserActionResponse(token));
    }

    /// <summary>The user action is spent over the body's exact bytes (<see cref="SignedUserAction"/>), then the same bytes are read as the request.</summary>
    public static async Task<Results<Ok<DfnsUser>, DfnsErrorResult>> CreateUser(
        WritingServiceAccount account, SignedUserAction action, JsonBody<CreateUserRequest> body, HttpContext context, UsersApiService users)
    {
        var (caller, request) = (account.Caller, body.Value);
        var outcome = await users.InviteAsync(caller, request.Email, request.UserKind, ClientAddress(context));
        return outcome.Status switch
        {
            InviteStatus.Invited => await FoundAsync(users, caller.OrgId, outcome.UserId!),
            InviteStatus.DuplicateEmail => DfnsErrors.Result(StatusCodes.Status409Conflict, "A user with this email already exists in the organization."),
            InviteStatus.InvalidEmail => DfnsErrors.Result(StatusCodes.Status400BadRequest, "email must be an email address"),
            _ => DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized),
        };
    }

    public static async Task<Results<Ok<DfnsUserPage>, DfnsErrorResult>> ListUsers(ReadingServiceAccount account, HttpContext context, UsersApiService users)
    {
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
            if (kindValues.Count != 1 || kindValues[0] is not { } kindText || !kindText.All(char.IsAsciiLetter)
                || !Enum.TryParse<UserKind>(kindText, ignoreCase: false, out var parsed) || !Enum.IsDefined(parsed))
            {
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "kind must be CustomerEmployee or EndUser");
            }

            kind = parsed;
        }

        return TypedResults.Ok(await users.ListAsync(account.Caller, limit, after, kind, ClientAddress(context), context.RequestAborted));
    }

    public static async Task<Results<Ok<DfnsUser>, DfnsErrorResult>> GetUser(ReadingServiceAccount account, string userId, HttpContext context, UsersApiService users)
    {
        var user = await users.GetAsync(account.Caller, userId, ClientAddress(context), context.RequestAborted);
        return user is null ? NotFound() : TypedResults.Ok(user);
    }

    public static Task<Results<Ok<DfnsUser>, DfnsErrorResult>> ActivateUser(WritingServiceAccount account, SignedUserAction action, string userId, HttpContext context, UsersApiService users) =>
        SetActiveAsync(account.Caller, userId, active: true, context, users);

    public static Task<Results<Ok<DfnsUser>, DfnsErrorResult>> DeactivateUser(WritingServiceAccount account, SignedUserAction action, string userId, HttpContext context, UsersApiService users) =>
        SetActiveAsync(account.Caller, userId, active: false, context, users);

    private static async Task<Results<Ok<DfnsUser>, DfnsErrorResult>> SetActiveAsync(ServiceAccountCaller caller, string userId, bool active, HttpContext context, UsersApiService users)
    {
        var outcome = await users.SetActiveAsync(caller, userId, active, ClientAddress(context));
        return outcome.Status switch
        {
            UserStateStatus.Changed or UserStateStatus.Unchanged => await FoundAsync(users, caller.OrgId, userId),
            UserStateStatus.AlreadyRegistered => DfnsErrors.Result(StatusCodes.Status409Conflict, "The user has registered: only pending users can be deactivated or activated."),
            _ => NotFound(),
        };
    }

    private static async Task<Results<Ok<DfnsUser>, DfnsErrorResult>> FoundAsync(UsersApiService users, string orgId, string userId) =>
        await users.FindAsync(orgId, userId) is { } user ? TypedResults.Ok(user) : NotFound();

    private static DfnsErrorResult NotFound() => DfnsErrors.Result(StatusCodes.Status404NotFound, "User not found.");

    internal static string? ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
