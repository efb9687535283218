using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>The body of <c>PUT /auth/registration/code</c>.</summary>
public sealed record ResendCodeRequest(string Username, string OrgId) : IJsonRequest<ResendCodeRequest>, IHasOrgId
{
    public static JsonTypeInfo<ResendCodeRequest> JsonType => RegistrationJson.Default.ResendCodeRequest;

    public string? Problem() => JsonRequest.FirstEmpty(("username", Username), ("orgId", OrgId)) ?? RegistrationApi.CallerProblem(Username, OrgId);
}

/// <summary>The body of <c>POST /auth/registration/init</c>.</summary>
public sealed record RegistrationInitRequest(string Username, string RegistrationCode, string OrgId) : IJsonRequest<RegistrationInitRequest>, IHasOrgId
{
    public static JsonTypeInfo<RegistrationInitRequest> JsonType => RegistrationJson.Default.RegistrationInitRequest;

    public string? Problem() =>
        JsonRequest.FirstEmpty(("username", Username), ("registrationCode", RegistrationCode), ("orgId", OrgId)) ?? RegistrationApi.CallerProblem(Username, OrgId);
}

public sealed record RelyingParty(string Id, string Name);

public sealed record ChallengeUser(string Id, string Name, string DisplayName);

public sealed record SupportedCredentialKinds(IReadOnlyList<string> FirstFactor, IReadOnlyList<string> SecondFactor);

public sealed record PublicKeyCredentialParameter(string Type, int Alg);

public sealed record ExcludedCredential(string Type, string Id);

public sealed record AuthenticatorSelection(string ResidentKey, bool RequireResidentKey, string UserVerification);

/// <summary>
/// The registration challenge of the Dfns documentation. The parameter list appears twice, as
/// <c>pubKeyCredParam</c> (the documentation's spelling) and <c>pubKeyCredParams</c> (the SDKs' types and browser signer).
/// </summary>
public sealed record RegistrationChallengeResponse(
    RelyingParty Rp,
    ChallengeUser User,
    string TemporaryAuthenticationToken,
    SupportedCredentialKinds SupportedCredentialKinds,
    string Challenge,
    IReadOnlyList<PublicKeyCredentialParameter> PubKeyCredParam,
    IReadOnlyList<PublicKeyCredentialParameter> PubKeyCredParams,
    string Attestation,
    IReadOnlyList<ExcludedCredential> ExcludeCredentials,
    AuthenticatorSelection AuthenticatorSelection);

/// <summary>A credential's proof: <c>transports</c> (the browser's <c>getTransports()</c>) only with a Fido2 credential.</summary>
public sealed record KeyCredentialInfo(string CredId, string ClientData, string AttestationData, IReadOnlyList<string>? Transports = null);

/// <summary>The credential; <c>credentialName</c> is accepted here too, where the SDK's RegisterBody type puts it.</summary>
public sealed record FirstFactorCredential(string CredentialKind, KeyCredentialInfo CredentialInfo, string? CredentialName = null);

/// <summary>The body of <c>POST /auth/registration</c>: a Fido2 or Key credential, and the name asked for (the top-level one wins).</summary>
public sealed record RegisterRequest(FirstFactorCredential FirstFactorCredential, string? CredentialName = null) : IJsonRequest<RegisterRequest>
{
    private const string First = "firstFactorCredential";
    private const string Info = First + ".credentialInfo";
    private const int MaxCredentialNameLength = 200;

    public static JsonTypeInfo<RegisterRequest> JsonType => RegistrationJson.Default.RegisterRequest;

    [JsonIgnore]
    public bool IsFido2 => string.Equals(FirstFactorCredential.CredentialKind, Fido2Credentials.Kind, StringComparison.Ordinal);

    /// <summary>The name asked for: the top-level one, else the credential's.</summary>
    [JsonIgnore]
    public string? Name => CredentialName ?? FirstFactorCredential.CredentialName;

    public string? Problem()
    {
        var (kind, info) = (FirstFactorCredential.CredentialKind, FirstFactorCredential.CredentialInfo);
        if (JsonRequest.FirstEmpty((First + ".credentialKind", kind)) is { } noKind)
        {
            return noKind;
        }

        if (!IsFido2 && !string.Equals(kind, RegistrationCompletionService.KeyKind, StringComparison.Ordinal))
        {
            return $"{First}.credentialKind must be Fido2 or Key: only those credentials are offered";
        }

        if (!IsFido2 && info.Transports is not null)
        {
            return $"unknown field: {Info}.transports";
        }

        if (JsonRequest.FirstEmpty((Info + ".credId", info.CredId), (Info + ".clientData", info.ClientData), (Info + ".attestationData", info.AttestationData)) is { } empty)
        {
            return empty;
        }

        if (!KeyCredentials.IsCredId(info.CredId))
        {
            return $"{Info}.credId must be base64url";
        }

        if (Name is { } name && (name.Length > MaxCredentialNameLength || name.Any(char.IsControl)))
        {
            return $"credentialName must be at most {MaxCredentialNameLength} characters, without control characters";
        }

        return info.Transports is { } transports ? TransportsProblem(transports) : null;
    }

    /// <summary>The optional list of transport hints: known WebAuthn transports, each once.</summary>
    private static string? TransportsProblem(IReadOnlyList<string> transports)
    {
        var known = string.Join(", ", Fido2Credentials.KnownTransports.Keys);
        if (transports.Count > Fido2Credentials.KnownTransports.Count)
        {
            return $"{Info}.transports must be an array of transports ({known})";
        }

        for (var i = 0; i < transports.Count; i++)
        {
            if (!Fido2Credentials.KnownTransports.ContainsKey(transports[i]) || transports.Take(i).Contains(transports[i]))
            {
                return $"{Info}.transports must be an array of distinct transports ({known})";
            }
        }

        return null;
    }
}

public sealed record RegisteredCredential(string Uuid, string Kind, string Name);

public sealed record RegisteredUser(string Id, string Username, string OrgId);

public sealed record RegisterResponse(RegisteredCredential Credential, RegisteredUser User);

/// <summary>
/// The registration bodies, read strictly: names as written (camelCase, case-sensitive), unknown and repeated members
/// refused, every non-nullable member required and never null.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = JsonRequest.MaxDepth)]
[JsonSerializable(typeof(ResendCodeRequest))]
[JsonSerializable(typeof(RegistrationInitRequest))]
[JsonSerializable(typeof(RegisterRequest))]
internal sealed partial class RegistrationJson : JsonSerializerContext;

/// <summary>The bearer token of <c>POST /auth/registration</c>: checked before anything else, and the call's organization.</summary>
public sealed class RegistrationBearer : IDfnsCheck
{
    private RegistrationBearer(RegistrationTokenClaims? token) => Token = token;

    public RegistrationTokenClaims? Token { get; }

    public static ValueTask<RegistrationBearer?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<RegistrationBearer?>(new(context.RequestServices.GetRequiredService<RegistrationCompletionService>().ReadToken(AuthHeaders.BearerToken(context.Request))));

    ValueTask<IResult?> IDfnsCheck.CheckAsync(HttpContext context, DfnsCall call)
    {
        // The token comes first: without it nothing about the body is worth telling the caller.
        if (Token is null)
        {
            return ValueTask.FromResult<IResult?>(DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized));
        }

        call.OrgId = Token.OrgId;
        return ValueTask.FromResult<IResult?>(null);
    }
}

/// <summary>The Dfns-compatible registration calls, served at the host's root as the SDK expects.</summary>
public static class RegistrationApi
{
    /// <summary>The header the register page's script sends, so that its calls are audited as that door.</summary>
    public const string DoorHeader = "X-Portal-Door";

    private static readonly IReadOnlyList<PublicKeyCredentialParameter> CredentialParameters =
    [
        new("public-key", -7),
        new("public-key", -257),
    ];

    private static readonly SupportedCredentialKinds FirstFactors = new([Fido2Credentials.Kind, RegistrationCompletionService.KeyKind], []);

    private static readonly AuthenticatorSelection Selection = new("required", true, "required");

    public static IEndpointRouteBuilder MapRegistrationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapAuthGroup(claimNonce: false);

        group.MapPut("/registration/code", ResendCode)
            .WithName("ResendRegistrationCode")
            .WithSummary("Resend registration code")
            .WithDescription("Sends the user a new registration code; every earlier code stops working. A registered, unknown or deactivated user, or an unknown organization, gets the same answer and nothing happens.");

        group.MapPost("/registration/init", InitRegistration)
            .WithName("CreateRegistrationChallenge")
            .WithSummary("Create registration challenge")
            .WithDescription("Checks the registration code and answers the challenge a new Fido2 (WebAuthn passkey) or Key credential must sign, with a temporary authentication token for POST /auth/registration. Does not consume the code. Wrong codes are limited per client address, for the user (5 an hour) and for all users (30 an hour), answered 429 with Retry-After; the code itself dies after 100 wrong codes in a row from all addresses.");

        group.MapPost("/registration", Register)
            .WithName("Register")
            .WithSummary("Complete user registration")
            .WithDescription("With Authorization: Bearer <temporaryAuthenticationToken> from init: registers the user with a Fido2 credential (a WebAuthn passkey, verified as a relying party) or a Key credential that signed the challenge, and consumes the code. The token works once.");

        return app;
    }

    public static async Task<Results<Ok<RegistrationChallengeResponse>, DfnsErrorResult>> InitRegistration(
        JsonBody<RegistrationInitRequest> body, DfnsCall call, HttpContext context, RegistrationCompletionService completion, IOptionsMonitor<RegistrationOptions> options)
    {
        var request = body.Value;
        var outcome = await completion.InitAsync(request.OrgId, request.Username, request.RegistrationCode, Caller(context, call.AppId), call.Nonce);
        switch (outcome.Status)
        {
            case InitStatus.Started:
                var started = outcome.Started!;
                var settings = options.CurrentValue;
                var rpId = RegistrationCompletionService.RelyingPartyId(settings, context.Request.Host.Host);
                return TypedResults.Ok(new RegistrationChallengeResponse(
                    new RelyingParty(rpId, settings.RelyingPartyName),
                    new ChallengeUser(started.UserId, started.Username, started.Username),
                    started.Token,
                    FirstFactors,
                    started.Challenge,
                    CredentialParameters,
                    CredentialParameters,
                    "direct",
                    [],
                    Selection));
            case InitStatus.CodeExpired:
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, "Registration code expired");
            case InitStatus.AlreadyRegistered:
                return DfnsErrors.Result(StatusCodes.Status401Unauthorized, "User already exists.");
            case InitStatus.NonceReplayed:
                return DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed);
            case InitStatus.TooManyAttempts:
                return DfnsErrors.Throttled(context, outcome.RetryAfter!.Value, "Too many wrong codes from this address.");
            default:
                return DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized);
        }
    }

    public static async Task<Results<Ok<RegisterResponse>, DfnsErrorResult>> Register(
        RegistrationBearer bearer, JsonBody<RegisterRequest> body, DfnsCall call, HttpContext context, RegistrationCompletionService completion)
    {
        var token = bearer.Token!;
        var request = body.Value;
        var info = request.FirstFactorCredential.CredentialInfo;
        var actor = Caller(context, call.AppId);
        var outcome = request.IsFido2
            ? await completion.CompleteFido2Async(token, new Fido2CredentialInput(info.CredId, info.ClientData, info.AttestationData, info.Transports ?? []), request.Name, context.Request.Host.Host, actor, call.Nonce)
            : await completion.CompleteAsync(token, new KeyCredentialInput(info.CredId, info.ClientData, info.AttestationData, request.Name), actor, call.Nonce);
        return outcome.Status switch
        {
            CompleteStatus.Registered => TypedResults.Ok(new RegisterResponse(
                new RegisteredCredential(outcome.CredentialId!, outcome.Kind, outcome.CredentialName!),
                new RegisteredUser(token.UserId, outcome.Username!, token.OrgId))),
            CompleteStatus.Invalid or CompleteStatus.DuplicateCredId => DfnsErrors.Result(StatusCodes.Status400BadRequest, outcome.Message!),
            CompleteStatus.Refused => DfnsErrors.Result(StatusCodes.Status401Unauthorized, outcome.Message!),
            CompleteStatus.NonceReplayed => DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed),
            _ => DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized),
        };
    }

    /// <summary>
    /// Who is calling, for the audit trail: the register page's script when it says so from a page of this very origin
    /// (a browser sets <c>Sec-Fetch-Site</c> itself, so another site's page cannot claim the door), else an API client.
    /// </summary>
    private static Actor Caller(HttpContext context, string? appId)
    {
        var address = context.Connection.RemoteIpAddress?.ToString();
        var headers = context.Request.Headers;
        return appId is null
            && string.Equals(headers[DoorHeader], Actor.RegisterPageDoor, StringComparison.Ordinal)
            && string.Equals(headers["Sec-Fetch-Site"], "same-origin", StringComparison.Ordinal)
            ? Actor.RegisterPage(address)
            : Actor.Api(appId, address);
    }

    public static async Task<Results<Ok<DfnsSuccessBody>, DfnsErrorResult>> ResendCode(JsonBody<ResendCodeRequest> body, DfnsCall call, HttpContext context, RegistrationService registration)
    {
        // Recorded and answered without looking at the user: one answer, byte for byte and in time, whoever it is.
        var request = body.Value;
        var outcome = await registration.RequestResendAsync(request.OrgId, request.Username, Caller(context, call.AppId), call.Nonce);
        return outcome.Status switch
        {
            PublicResendStatus.NonceReplayed => DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed),
            PublicResendStatus.Throttled => DfnsErrors.Throttled(context, outcome.RetryAfter!.Value, "Too many requests for this user."),
            _ => TypedResults.Ok(DfnsSuccessBody.Success),
        };
    }

    /// <summary>What resend and init share after their shape: the username and org id forms.</summary>
    internal static string? CallerProblem(string username, string orgId) =>
        !EmailAddress.IsValid(username) ? "username must be an email address"
        : !Ids.IsValid(orgId, Ids.Organization) ? "orgId must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)"
        : null;
}
