using System.Text.Json;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>The body of <c>PUT /auth/registration/code</c> (for the OpenAPI document; the handler reads JSON strictly).</summary>
public sealed record ResendCodeRequest(string Username, string OrgId);

/// <summary>The body of <c>POST /auth/registration/init</c> (for the OpenAPI document; the handler reads JSON strictly).</summary>
public sealed record RegistrationInitRequest(string Username, string RegistrationCode, string OrgId);

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

public sealed record KeyCredentialInfo(string CredId, string ClientData, string AttestationData);

public sealed record FirstFactorCredential(string CredentialKind, KeyCredentialInfo CredentialInfo, string? CredentialName);

/// <summary>The body of <c>POST /auth/registration</c> (for the OpenAPI document; the handler reads JSON strictly).</summary>
public sealed record RegisterRequest(FirstFactorCredential FirstFactorCredential, string? CredentialName);

public sealed record RegisteredCredential(string Uuid, string Kind, string Name);

public sealed record RegisteredUser(string Id, string Username, string OrgId);

public sealed record RegisterResponse(RegisteredCredential Credential, RegisteredUser User);

/// <summary>The Dfns-compatible registration calls, served at the host's root as the SDK expects.</summary>
public static class RegistrationApi
{
    private static readonly string[] ResendFields = ["username", "orgId"];
    private static readonly string[] InitFields = ["username", "registrationCode", "orgId"];
    private static readonly string[] RegisterFields = ["firstFactorCredential", "credentialName"];

    // credentialName is accepted inside the credential too: the SDK's RegisterBody type puts it there.
    private static readonly string[] FirstFactorFields = ["credentialKind", "credentialInfo", "credentialName"];
    private static readonly string[] CredentialInfoFields = ["credId", "clientData", "attestationData"];

    // Fido2 credentials may also say which transports the browser reported (response.getTransports()).
    private static readonly string[] Fido2CredentialInfoFields = ["credId", "clientData", "attestationData", "transports"];

    /// <summary>The header the register page's script sends, so that its calls are audited as that door.</summary>
    public const string DoorHeader = "X-Portal-Door";
    private const int MaxCredentialNameLength = 200;

    private static readonly IReadOnlyList<PublicKeyCredentialParameter> CredentialParameters =
    [
        new("public-key", -7),
        new("public-key", -257),
    ];

    private static readonly SupportedCredentialKinds FirstFactors = new([Fido2Credentials.Kind, RegistrationCompletionService.KeyKind], []);

    private static readonly AuthenticatorSelection Selection = new("required", true, "required");

    public static IEndpointRouteBuilder MapRegistrationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapAuthGroup();

        group.MapPut("/registration/code", ResendCode)
            .WithName("ResendRegistrationCode")
            .WithSummary("Resend registration code")
            .WithDescription("Sends the user a new registration code; every earlier code stops working. A registered, unknown or deactivated user, or an unknown organization, gets the same answer and nothing happens.")
            .Accepts<ResendCodeRequest>("application/json")
            .Produces<DfnsSuccessBody>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapPost("/registration/init", InitRegistration)
            .WithName("CreateRegistrationChallenge")
            .WithSummary("Create registration challenge")
            .WithDescription("Checks the registration code and answers the challenge a new Fido2 (WebAuthn passkey) or Key credential must sign, with a temporary authentication token for POST /auth/registration. Does not consume the code. Wrong codes are limited per client address, for the user (5 an hour) and for all users (30 an hour), answered 429 with Retry-After; the code itself dies after 100 wrong codes in a row from all addresses.")
            .Accepts<RegistrationInitRequest>("application/json")
            .Produces<RegistrationChallengeResponse>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        group.MapPost("/registration", Register)
            .WithName("Register")
            .WithSummary("Complete user registration")
            .WithDescription("With Authorization: Bearer <temporaryAuthenticationToken> from init: registers the user with a Fido2 credential (a WebAuthn passkey, verified as a relying party) or a Key credential that signed the challenge, and consumes the code. The token works once.")
            .Accepts<RegisterRequest>("application/json")
            .Produces<RegisterResponse>(StatusCodes.Status200OK)
            .ProducesDfnsErrors();

        return app;
    }

    public static async Task<IResult> InitRegistration(HttpContext context, RegistrationCompletionService completion, IOptionsMonitor<RegistrationOptions> options)
    {
        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, InitFields);
        if (document is null)
        {
            return error!;
        }

        string? username;
        string? code;
        string? orgId;
        using (document)
        {
            var root = document.RootElement;
            username = JsonRequest.RequiredString(root, "username", out error);
            code = username is null ? null : JsonRequest.RequiredString(root, "registrationCode", out error);
            orgId = code is null ? null : JsonRequest.RequiredString(root, "orgId", out error);
            if (orgId is null)
            {
                return error!;
            }
        }

        var (actor, nonce, refusal) = await CheckCallerAsync(context, username, orgId);
        if (refusal is not null)
        {
            return refusal;
        }

        var outcome = await completion.InitAsync(orgId, username!, code!, actor, nonce);
        switch (outcome.Status)
        {
            case InitStatus.Started:
                var started = outcome.Started!;
                var settings = options.CurrentValue;
                var rpId = RegistrationCompletionService.RelyingPartyId(settings, context.Request.Host.Host);
                return Results.Json(new RegistrationChallengeResponse(
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

    public static async Task<IResult> Register(HttpContext context, RegistrationCompletionService completion)
    {
        // The token comes first: without it nothing about the body is worth telling the caller.
        var token = completion.ReadToken(AuthHeaders.BearerToken(context.Request));
        if (token is null)
        {
            return DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized);
        }

        var (appId, nonce, headerError) = await AuthHeaders.CheckAsync(context, token.OrgId);
        if (headerError is not null)
        {
            return headerError;
        }

        var (document, error) = await JsonRequest.ReadObjectAsync(context.Request, RegisterFields);
        if (document is null)
        {
            return error!;
        }

        ReadCredential credential;
        using (document)
        {
            var (input, problem) = ReadCredentialInput(document.RootElement);
            if (input is null)
            {
                return problem!;
            }

            credential = input;
        }

        var actor = Caller(context, appId);
        var outcome = credential.Fido2 is { } passkey
            ? await completion.CompleteFido2Async(token, passkey, credential.Name, context.Request.Host.Host, actor, nonce)
            : await completion.CompleteAsync(token, credential.Key!, actor, nonce);
        return outcome.Status switch
        {
            CompleteStatus.Registered => Results.Json(new RegisterResponse(
                new RegisteredCredential(outcome.CredentialId!, outcome.Kind, outcome.CredentialName!),
                new RegisteredUser(token.UserId, outcome.Username!, token.OrgId))),
            CompleteStatus.Invalid or CompleteStatus.DuplicateCredId => DfnsErrors.Result(StatusCodes.Status400BadRequest, outcome.Message!),
            CompleteStatus.Refused => DfnsErrors.Result(StatusCodes.Status401Unauthorized, outcome.Message!),
            CompleteStatus.NonceReplayed => DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed),
            _ => DfnsErrors.Result(StatusCodes.Status401Unauthorized, DfnsErrors.NotAuthorized),
        };
    }

    /// <summary>A Key or a Fido2 credential, and the name asked for.</summary>
    private sealed record ReadCredential(KeyCredentialInput? Key, Fido2CredentialInput? Fido2, string? Name);

    private static (ReadCredential? Input, IResult? Error) ReadCredentialInput(JsonElement root)
    {
        const string First = "firstFactorCredential";
        const string Info = First + ".credentialInfo";
        var first = JsonRequest.RequiredObject(root, First, First, FirstFactorFields, out var error);
        if (first is not { } factor)
        {
            return (null, error);
        }

        var kind = JsonRequest.RequiredString(factor, "credentialKind", First + ".credentialKind", out error);
        if (kind is null)
        {
            return (null, error);
        }

        var isFido2 = string.Equals(kind, Fido2Credentials.Kind, StringComparison.Ordinal);
        if (!isFido2 && !string.Equals(kind, RegistrationCompletionService.KeyKind, StringComparison.Ordinal))
        {
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{First}.credentialKind must be Fido2 or Key: only those credentials are offered"));
        }

        var infoElement = JsonRequest.RequiredObject(factor, "credentialInfo", Info, isFido2 ? Fido2CredentialInfoFields : CredentialInfoFields, out error);
        if (infoElement is not { } info)
        {
            return (null, error);
        }

        var credId = JsonRequest.RequiredString(info, "credId", Info + ".credId", out error);
        var clientData = credId is null ? null : JsonRequest.RequiredString(info, "clientData", Info + ".clientData", out error);
        var attestationData = clientData is null ? null : JsonRequest.RequiredString(info, "attestationData", Info + ".attestationData", out error);
        if (attestationData is null)
        {
            return (null, error);
        }

        if (!KeyCredentials.IsCredId(credId))
        {
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{Info}.credId must be base64url"));
        }

        var outerName = JsonRequest.OptionalString(root, "credentialName", "credentialName", out error);
        if (error is not null)
        {
            return (null, error);
        }

        var innerName = JsonRequest.OptionalString(factor, "credentialName", First + ".credentialName", out error);
        if (error is not null)
        {
            return (null, error);
        }

        var name = outerName ?? innerName;
        if (name is { Length: > MaxCredentialNameLength } || (name is not null && name.Any(char.IsControl)))
        {
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, $"credentialName must be at most {MaxCredentialNameLength} characters, without control characters"));
        }

        if (!isFido2)
        {
            return (new ReadCredential(new KeyCredentialInput(credId!, clientData!, attestationData, name), null, name), null);
        }

        var (transports, transportError) = ReadTransports(info, Info + ".transports");
        return transportError is not null
            ? (null, transportError)
            : (new ReadCredential(null, new Fido2CredentialInput(credId!, clientData!, attestationData, transports!), name), null);
    }

    /// <summary>The optional list of transport hints: known WebAuthn transports, each once.</summary>
    private static (IReadOnlyList<string>? Transports, IResult? Error) ReadTransports(JsonElement info, string field)
    {
        if (!info.TryGetProperty("transports", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return ([], null);
        }

        var known = string.Join(", ", Fido2Credentials.KnownTransports.Keys);
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > Fido2Credentials.KnownTransports.Count)
        {
            return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{field} must be an array of transports ({known})"));
        }

        var transports = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } transport
                || !Fido2Credentials.KnownTransports.ContainsKey(transport) || transports.Contains(transport))
            {
                return (null, DfnsErrors.Result(StatusCodes.Status400BadRequest, $"{field} must be an array of distinct transports ({known})"));
            }

            transports.Add(transport);
        }

        return (transports, null);
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

        var (actor, nonce, refusal) = await CheckCallerAsync(context, username, orgId);
        if (refusal is not null)
        {
            return refusal;
        }

        // Recorded and answered without looking at the user: one answer, byte for byte and in time, whoever it is.
        var outcome = await registration.RequestResendAsync(orgId, username, actor, nonce);
        return outcome.Status switch
        {
            PublicResendStatus.NonceReplayed => DfnsErrors.Result(StatusCodes.Status400BadRequest, DfnsErrors.NonceUsed),
            PublicResendStatus.Throttled => DfnsErrors.Throttled(context, outcome.RetryAfter!.Value, "Too many requests for this user."),
            _ => Results.Json(DfnsSuccessBody.Success),
        };
    }

    /// <summary>What resend and init share: the username and org id shapes, then the app-id and nonce headers.</summary>
    private static async Task<(Actor Actor, NonceClaim? Nonce, IResult? Refusal)> CheckCallerAsync(HttpContext context, string? username, string orgId)
    {
        var anonymous = Actor.Api(null, context.Connection.RemoteIpAddress?.ToString());
        if (!EmailAddress.IsValid(username))
        {
            return (anonymous, null, DfnsErrors.Result(StatusCodes.Status400BadRequest, "username must be an email address"));
        }

        if (!Ids.IsValid(orgId, Ids.Organization))
        {
            return (anonymous, null, DfnsErrors.Result(StatusCodes.Status400BadRequest, "orgId must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)"));
        }

        var (appId, nonce, headerError) = await AuthHeaders.CheckAsync(context, orgId);
        return (Caller(context, appId), nonce, headerError);
    }
}
