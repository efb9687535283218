using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

public enum InitStatus
{
    Started,

    /// <summary>Wrong, replaced or used code, unknown or deactivated user: one answer for all.</summary>
    NotAuthorized,
    CodeExpired,
    AlreadyRegistered,
    NonceReplayed,

    /// <summary>This client address has tried too many wrong codes, for this user or for anyone; <see cref="InitOutcome.RetryAfter"/> says how long to wait.</summary>
    TooManyAttempts,
}

/// <summary>A started registration: what the challenge answer needs.</summary>
public sealed record StartedRegistration(string UserId, string Username, string OrgId, Guid ChallengeId, string Challenge, string Token, DateTimeOffset ExpiresAt);

public sealed record InitOutcome(InitStatus Status, StartedRegistration? Started = null, TimeSpan? RetryAfter = null);

public enum CompleteStatus
{
    Registered,

    /// <summary>Token used, expired or unknown; wrong challenge or signature; code or user no longer pending.</summary>
    NotAuthorized,

    /// <summary>The credential is malformed; <see cref="CompleteOutcome.Message"/> names the field.</summary>
    Invalid,
    DuplicateCredId,
    NonceReplayed,

    /// <summary>A Fido2 credential that is well formed but fails a relying-party check; <see cref="CompleteOutcome.Message"/> names it.</summary>
    Refused,
}

public sealed record CompleteOutcome(CompleteStatus Status, string? Message = null, string? CredentialId = null, string? CredentialName = null, string? Username = null, string Kind = RegistrationCompletionService.KeyKind);

/// <summary>A Key credential as the client sent it.</summary>
public sealed record KeyCredentialInput(string CredId, string ClientData, string AttestationData, string? Name);

/// <summary>
/// Consumes registration codes: init checks a code and opens a single-use challenge, complete checks the new
/// credential's proof and registers the user. Codes are still only made or invalidated through the same write
/// queue as <see cref="RegistrationService"/>, each call one all-or-nothing unit of work.
/// </summary>
public sealed class RegistrationCompletionService(
    WriteQueue writes,
    IDbContextFactory<PortalDbContext> contexts,
    CodeHasher hasher,
    ServerKeys keys,
    TimeProvider time,
    IOptionsMonitor<RegistrationOptions> options,
    PortalTelemetry telemetry,
    PublicRequestSignal requestSignal,
    IOptionsMonitor<Email.PortalOptions> portal)
{
    public const string KeyKind = "Key";
    public const string DefaultCredentialName = "Key";
    public const string DefaultFido2CredentialName = "Passkey";
    public const string TooManyAttempts = "too many attempts";

    /// <summary>
    /// Checks a code and, when it is the user's valid code, opens a challenge. A wrong code (or no such user, or no such
    /// organization) costs the same work whoever the user is: one keyed hash, one index probe for a code with that hash
    /// (which a wrong code misses whoever is asked about), the client address's counters, and one write that counts the
    /// attempt per (user, address) and per address and records it for <see cref="PublicRequestProcessor"/>, which counts
    /// it against the user's code. Only the holder of the right code learns more (expired, or already registered).
    /// </summary>
    public async Task<InitOutcome> InitAsync(string orgId, string username, string code, Actor actor, NonceClaim? nonce = null)
    {
        var settings = options.CurrentValue;
        var normalized = EmailAddress.Normalize(username);
        var address = AttemptAddress(actor.ClientAddress);
        CodeOfUser? found;
        List<CodeAttemptCounter> counters;
        await using (var read = await contexts.CreateDbContextAsync())
        {
            // The code is looked up by the keyed hash of what was typed: a wrong code misses the index whoever is asked
            // about, so the reads before a wrong answer are the same for a pending, registered or unknown user alike.
            var hash = hasher.HashInput(code);
            found = await read.RegistrationCodes.AsNoTracking()
                .Where(c => c.CodeHash == hash && c.OrgId == orgId)
                .Join(read.OrgUsers.Where(u => u.OrgId == orgId && u.NormalizedUsername == normalized), c => c.UserId, u => u.Id, (c, u) => new CodeOfUser(
                    u.Id,
                    u.Username,
                    u.IsActive,
                    u.IsRegistered,
                    new LatestCode(c.Id, c.ExpiresAt, c.UsedAt, c.InvalidatedAt)))
                .FirstOrDefaultAsync();
            counters = await read.CodeAttemptCounters.AsNoTracking()
                .Where(c => c.ClientAddress == address
                    && ((c.OrgId == orgId && c.NormalizedUsername == normalized) || (c.OrgId == "" && c.NormalizedUsername == "")))
                .ToListAsync();
        }

        // A replayed request is a used nonce before anything its code would tell (as on the other doors); the writes below
        // claim the nonce again, atomically, for two uses at once.
        if (await NonceUsedAsync(nonce))
        {
            return new InitOutcome(InitStatus.NonceReplayed);
        }

        var now = time.GetUtcNow();
        if (AttemptLimits.Wait(counters, orgId, normalized, now, settings) is { } wait)
        {
            return new InitOutcome(InitStatus.TooManyAttempts, RetryAfter: wait);
        }

        var latest = found?.Code;
        if (found is { IsRegistered: true } && latest!.UsedAt is not null)
        {
            // Only the code that was theirs tells that the account is registered.
            return new InitOutcome(InitStatus.AlreadyRegistered);
        }

        var valid = latest is { UsedAt: null, InvalidatedAt: null } && found is { IsActive: true, IsRegistered: false };
        if (valid)
        {
            return await StartAsync(orgId, normalized, address, found!, latest!, actor, nonce, settings);
        }

        var attempt = await writes.ExecuteAsync(async db =>
        {
            if (nonce is not null && !await nonce.ClaimAsync(db))
            {
                return new InitOutcome(InitStatus.NonceReplayed);
            }

            var at = time.GetUtcNow();
            var (limited, locked) = await AttemptLimits.CheckLockedAsync(db, orgId, normalized, address, at, settings);
            if (limited is { } retryAfter)
            {
                return new InitOutcome(InitStatus.TooManyAttempts, RetryAfter: retryAfter);
            }

            AttemptLimits.CountFailure(db, locked, orgId, normalized, address, at, settings);
            db.PublicRequests.Add(PublicRequest.Of(PublicRequestKind.WrongCode, orgId, normalized, actor, at, db.CorrelationId));
            return new InitOutcome(InitStatus.NotAuthorized);
        });
        if (attempt.Status == InitStatus.NotAuthorized)
        {
            requestSignal.Notify();
        }

        return attempt;
    }

    private async Task<InitOutcome> StartAsync(string orgId, string normalized, string address, CodeOfUser user, LatestCode code, Actor actor, NonceClaim? nonce, RegistrationOptions settings)
    {
        var challengeId = Guid.CreateVersion7(time.GetUtcNow());
        var challenge = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var result = await writes.ExecuteAsync(async db =>
        {
            if (nonce is not null && !await nonce.ClaimAsync(db))
            {
                return new InitResult(InitStatus.NonceReplayed);
            }

            var now = time.GetUtcNow();

            // However many attempts ran at once, only those the limits allowed get an answer, the right code too.
            var (limited, _) = await AttemptLimits.CheckLockedAsync(db, orgId, normalized, address, now, settings);
            if (limited is { } retryAfter)
            {
                return new InitResult(InitStatus.TooManyAttempts, RetryAfter: retryAfter);
            }

            // Right code: the streak of wrong ones is over (the counter counts wrong codes in a row). Refused if the code
            // stopped being valid since it was read.
            var current = await db.RegistrationCodes
                .Where(c => c.Id == code.Id && c.UsedAt == null && c.InvalidatedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.FailedAttempts, 0));
            if (current == 0)
            {
                return new InitResult(InitStatus.NotAuthorized);
            }

            // And this address's wrong tries for the user are forgiven: it has shown it holds the code.
            await db.CodeAttemptCounters
                .Where(c => c.OrgId == orgId && c.NormalizedUsername == normalized && c.ClientAddress == address)
                .ExecuteDeleteAsync();
            if (code.ExpiresAt <= now)
            {
                // The holder is told, and the counts just reset are on record.
                db.Audit(now, orgId, AuditActions.ExpiredCodeTyped, actor, user.Id, $"code expired {code.ExpiresAt:O}; the wrong tries counted against it and this address's for the user forgiven");
                return new InitResult(InitStatus.CodeExpired);
            }

            var expiresAt = now + settings.ChallengeLifetime;
            db.RegistrationChallenges.Add(new RegistrationChallenge
            {
                Id = challengeId,
                OrgId = orgId,
                UserId = user.Id,
                CodeId = code.Id,
                Challenge = challenge,
                CreatedAt = now,
                ExpiresAt = expiresAt,
            });
            db.Audit(now, orgId, AuditActions.RegistrationStarted, actor, user.Id, $"challenge {challengeId}, expires {expiresAt:O}");
            return new InitResult(InitStatus.Started, user.Id, user.Username, now, expiresAt);
        });

        if (result.Status != InitStatus.Started)
        {
            return new InitOutcome(result.Status, RetryAfter: result.RetryAfter);
        }

        // Signed after the commit: the writer's time goes to the database alone.
        var token = RegistrationToken.Create(keys.TokenSigningKey, new RegistrationTokenClaims(result.UserId!, challengeId, orgId, result.Username!, result.CreatedAt, result.ExpiresAt));
        return new InitOutcome(InitStatus.Started, new StartedRegistration(result.UserId!, result.Username!, orgId, challengeId, challenge, token, result.ExpiresAt));
    }

    /// <summary>The address the wrong-code limits count under (bounded to the column, "unknown" when there is none).</summary>
    private static string AttemptAddress(string? clientAddress) =>
        string.IsNullOrEmpty(clientAddress) ? "unknown" : clientAddress[..Math.Min(clientAddress.Length, 64)];

    private sealed record CodeOfUser(string Id, string Username, bool IsActive, bool IsRegistered, LatestCode Code);

    private sealed record LatestCode(Guid Id, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, DateTimeOffset? InvalidatedAt);

    /// <summary>The claims of a valid, unexpired token; whether its challenge is still open is checked on completion.</summary>
    public RegistrationTokenClaims? ReadToken(string? token) => RegistrationToken.Read(keys.TokenSigningKey, token, time.GetUtcNow());

    public async Task<CompleteOutcome> CompleteAsync(RegistrationTokenClaims token, KeyCredentialInput credential, Actor actor, NonceClaim? nonce = null)
    {
        if (await NonceUsedAsync(nonce))
        {
            return new CompleteOutcome(CompleteStatus.NonceReplayed);
        }

        var expectedChallenge = await OpenChallengeAsync(token);
        if (expectedChallenge is null)
        {
            return new CompleteOutcome(CompleteStatus.NotAuthorized);
        }

        // The signature is checked outside the writer (it is the slow part); the writer re-checks everything it relied on.
        var check = KeyCredentials.Verify(credential.ClientData, credential.AttestationData, expectedChallenge);
        switch (check.Status)
        {
            case KeyCredentialStatus.Malformed:
                return new CompleteOutcome(CompleteStatus.Invalid, check.Message);
            case KeyCredentialStatus.Rejected:
                return new CompleteOutcome(CompleteStatus.NotAuthorized);
        }

        var name = string.IsNullOrWhiteSpace(credential.Name) ? DefaultCredentialName : credential.Name.Trim();
        return await StoreAsync(token, actor, nonce, credential.CredId.TrimEnd('='), (id, orgId, userId, now) => new Credential
        {
            Id = id,
            OrgId = orgId,
            UserId = userId,
            Kind = KeyKind,
            Name = name,
            CredId = credential.CredId.TrimEnd('='),
            PublicKeyPem = check.PublicKeyPem!,
            CreatedAt = now,
        });
    }

    /// <summary>
    /// Completes with a WebAuthn passkey, checked as a relying party whose id is <c>Registration:RelyingPartyId</c> (or
    /// <paramref name="requestHost"/> when that is empty) and whose origins are <c>Portal:PublicBaseUrl</c>'s and
    /// <c>Registration:AllowedOrigins</c>.
    /// </summary>
    public async Task<CompleteOutcome> CompleteFido2Async(RegistrationTokenClaims token, Fido2CredentialInput credential, string? credentialName, string requestHost, Actor actor, NonceClaim? nonce = null)
    {
        if (await NonceUsedAsync(nonce))
        {
            return new CompleteOutcome(CompleteStatus.NonceReplayed);
        }

        var expectedChallenge = await OpenChallengeAsync(token);
        if (expectedChallenge is null)
        {
            return new CompleteOutcome(CompleteStatus.NotAuthorized, Kind: Fido2Credentials.Kind);
        }

        var settings = options.CurrentValue;
        var check = await Fido2Credentials.VerifyAsync(credential, new Fido2Expectation(
            expectedChallenge,
            RelyingPartyId(settings, requestHost),
            settings.RelyingPartyName,
            AllowedOrigins(settings),
            token.UserId,
            token.Username));
        switch (check.Status)
        {
            case KeyCredentialStatus.Malformed:
                return new CompleteOutcome(CompleteStatus.Invalid, check.Message, Kind: Fido2Credentials.Kind);
            case KeyCredentialStatus.Rejected:
                return new CompleteOutcome(CompleteStatus.Refused, check.Message, Kind: Fido2Credentials.Kind);
        }

        var verified = check.Credential!;
        var name = string.IsNullOrWhiteSpace(credentialName) ? DefaultFido2CredentialName : credentialName.Trim();
        return await StoreAsync(token, actor, nonce, verified.CredId, (id, orgId, userId, now) => new Credential
        {
            Id = id,
            OrgId = orgId,
            UserId = userId,
            Kind = Fido2Credentials.Kind,
            Name = name,
            CredId = verified.CredId,
            PublicKeyCose = verified.PublicKeyCose,
            SignCount = verified.SignCount,
            Aaguid = verified.Aaguid,
            AttestationFormat = verified.AttestationFormat,
            Transports = verified.Transports.Count == 0 ? null : string.Join(',', verified.Transports),
            CreatedAt = now,
        });
    }

    /// <summary>The challenge's rp.id: <c>Registration:RelyingPartyId</c>, or the request's host when that is empty.</summary>
    public static string RelyingPartyId(RegistrationOptions settings, string requestHost) =>
        string.IsNullOrWhiteSpace(settings.RelyingPartyId) ? requestHost : settings.RelyingPartyId;

    /// <summary>The origins whose pages may make this relying party's passkeys: the public base URL's, and the configured ones.</summary>
    private HashSet<string> AllowedOrigins(RegistrationOptions settings)
    {
        var origins = new HashSet<string>(StringComparer.Ordinal);
        if (Uri.TryCreate(portal.CurrentValue.PublicBaseUrl, UriKind.Absolute, out var publicBase))
        {
            origins.Add(publicBase.GetLeftPart(UriPartial.Authority));
        }

        foreach (var origin in settings.AllowedOrigins)
        {
            if (RegistrationOptions.Origin(origin) is { } allowed)
            {
                origins.Add(allowed);
            }
        }

        return origins;
    }

    /// <summary>
    /// A replayed request is a used nonce before anything else it would be told (a consumed challenge, a used code): the
    /// contract's answer to a second use. The writer checks the nonce again, atomically, for two uses at once.
    /// </summary>
    private async Task<bool> NonceUsedAsync(NonceClaim? nonce)
    {
        if (nonce is null)
        {
            return false;
        }

        await using var read = await contexts.CreateDbContextAsync();
        return await read.UsedNonces.AsNoTracking().AnyAsync(n => n.Key == nonce.Key);
    }

    /// <summary>The challenge of a token whose challenge is open (not consumed, not expired, the token's user and org); null otherwise.</summary>
    private async Task<string?> OpenChallengeAsync(RegistrationTokenClaims token)
    {
        await using var read = await contexts.CreateDbContextAsync();
        var open = await read.RegistrationChallenges.AsNoTracking()
            .Where(c => c.Id == token.ChallengeId)
            .Select(c => new { c.OrgId, c.UserId, c.Challenge, c.ExpiresAt, c.ConsumedAt })
            .FirstOrDefaultAsync();
        return open is null || open.ConsumedAt is not null || open.ExpiresAt <= time.GetUtcNow()
            || open.OrgId != token.OrgId || open.UserId != token.UserId
            ? null
            : open.Challenge;
    }

    /// <summary>The one write that registers: re-checks the challenge, code and user, then stores the verified credential.</summary>
    private async Task<CompleteOutcome> StoreAsync(RegistrationTokenClaims token, Actor actor, NonceClaim? nonce, string credId, Func<string, string, string, DateTimeOffset, Credential> make)
    {
        var credentialId = Ids.New(Ids.Credential);
        var completed = await writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            if (nonce is not null && !await nonce.ClaimAsync(db))
            {
                return new CompleteOutcome(CompleteStatus.NonceReplayed);
            }

            // The user first, locked: every writer of a user's codes takes that lock before anything else, so of two
            // completions on two hosts with one token the second waits, then finds the challenge consumed.
            var user = await db.OrgUsers.ForUpdate().FirstOrDefaultAsync(u => u.Id == token.UserId && u.OrgId == token.OrgId);
            var challenge = await db.RegistrationChallenges.FirstOrDefaultAsync(c => c.Id == token.ChallengeId);
            if (challenge is null || challenge.ConsumedAt is not null || challenge.ExpiresAt <= now
                || challenge.UserId != token.UserId || challenge.OrgId != token.OrgId)
            {
                return new CompleteOutcome(CompleteStatus.NotAuthorized);
            }

            var code = await db.RegistrationCodes.FirstOrDefaultAsync(c => c.Id == challenge.CodeId);
            if (code is null || code.UsedAt is not null || code.InvalidatedAt is not null || code.ExpiresAt <= now
                || user is null || !user.IsActive || user.IsRegistered)
            {
                return new CompleteOutcome(CompleteStatus.NotAuthorized);
            }

            if (await db.Credentials.AnyAsync(c => c.OrgId == challenge.OrgId && c.CredId == credId))
            {
                return new CompleteOutcome(CompleteStatus.DuplicateCredId, "firstFactorCredential.credentialInfo.credId is already registered in this organization");
            }

            var credential = make(credentialId, challenge.OrgId, user.Id, now);
            challenge.ConsumedAt = now;
            code.UsedAt = now;
            user.IsRegistered = true;
            user.RegisteredAt = now;
            db.Credentials.Add(credential);
            var door = actor.Kind == ActorKind.SelfService && actor.Id is { } id ? $", door {id}" : "";
            db.Audit(now, challenge.OrgId, AuditActions.RegistrationCompleted, actor, user.Id, $"{credential.Kind} credential {credentialId}{door}");
            return new CompleteOutcome(CompleteStatus.Registered, CredentialId: credentialId, CredentialName: credential.Name, Username: user.Username, Kind: credential.Kind);
        });
        if (completed.Status == CompleteStatus.Registered)
        {
            telemetry.CodeConsumed(actor.Kind);
        }

        return completed;
    }

    private sealed record InitResult(InitStatus Status, string? UserId = null, string? Username = null, DateTimeOffset CreatedAt = default, DateTimeOffset ExpiresAt = default, TimeSpan? RetryAfter = null);
}
