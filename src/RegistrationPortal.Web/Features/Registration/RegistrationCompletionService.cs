using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Web.Features.Registration;

public enum InitStatus
{
    Started,

    /// <summary>Wrong, replaced or used code, unknown or deactivated user: one answer for all.</summary>
    NotAuthorized,
    CodeExpired,
    AlreadyRegistered,
    NonceReplayed,
}

/// <summary>A started registration: what the challenge answer needs.</summary>
public sealed record StartedRegistration(string UserId, string Username, string OrgId, Guid ChallengeId, string Challenge, string Token, DateTimeOffset ExpiresAt);

public sealed record InitOutcome(InitStatus Status, StartedRegistration? Started = null);

public enum CompleteStatus
{
    Registered,

    /// <summary>Token used, expired or unknown; wrong challenge or signature; code or user no longer pending.</summary>
    NotAuthorized,

    /// <summary>The credential is malformed; <see cref="CompleteOutcome.Message"/> names the field.</summary>
    Invalid,
    DuplicateCredId,
    NonceReplayed,
}

public sealed record CompleteOutcome(CompleteStatus Status, string? Message = null, string? CredentialId = null, string? CredentialName = null, string? Username = null);

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
    PortalTelemetry telemetry)
{
    public const string DefaultCredentialName = "Key";
    public const string TooManyAttempts = "too many attempts";

    // Compared against when there is no code to check, so a missing code costs the same HMAC as a wrong one.
    private static readonly byte[] NoCodeHash = new byte[32];

    public async Task<InitOutcome> InitAsync(string orgId, string username, string code, Actor actor, NonceClaim? nonce = null)
    {
        var challengeId = Guid.CreateVersion7(time.GetUtcNow());
        var challenge = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var result = await writes.ExecuteAsync(db => InitInTransactionAsync(db, orgId, username, code, actor, nonce, challengeId, challenge));
        if (result.CutOff)
        {
            telemetry.GuessingCutoff(actor.Kind);
        }

        if (result.Status != InitStatus.Started)
        {
            return new InitOutcome(result.Status);
        }

        // Signed after the commit: the writer's time goes to the database alone.
        var token = RegistrationToken.Create(keys.TokenSigningKey, new RegistrationTokenClaims(result.UserId!, challengeId, orgId, result.Username!, result.CreatedAt, result.ExpiresAt));
        return new InitOutcome(InitStatus.Started, new StartedRegistration(result.UserId!, result.Username!, orgId, challengeId, challenge, token, result.ExpiresAt));
    }

    /// <summary>The claims of a valid, unexpired token; whether its challenge is still open is checked on completion.</summary>
    public RegistrationTokenClaims? ReadToken(string? token) => RegistrationToken.Read(keys.TokenSigningKey, token, time.GetUtcNow());

    public async Task<CompleteOutcome> CompleteAsync(RegistrationTokenClaims token, KeyCredentialInput credential, Actor actor, NonceClaim? nonce = null)
    {
        string expectedChallenge;
        await using (var read = await contexts.CreateDbContextAsync())
        {
            // A replayed request is a used nonce before it is a consumed challenge (the contract's answer to a second
            // use); the writer checks the nonce again, atomically, for two uses at once.
            if (nonce is not null && await read.UsedNonces.AsNoTracking().AnyAsync(n => n.Key == nonce.Key))
            {
                return new CompleteOutcome(CompleteStatus.NonceReplayed);
            }

            var open = await read.RegistrationChallenges.AsNoTracking()
                .Where(c => c.Id == token.ChallengeId)
                .Select(c => new { c.OrgId, c.UserId, c.Challenge, c.ExpiresAt, c.ConsumedAt })
                .FirstOrDefaultAsync();
            if (open is null || open.ConsumedAt is not null || open.ExpiresAt <= time.GetUtcNow()
                || open.OrgId != token.OrgId || open.UserId != token.UserId)
            {
                return new CompleteOutcome(CompleteStatus.NotAuthorized);
            }

            expectedChallenge = open.Challenge;
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

        var credentialId = Ids.New(Ids.Credential);
        var name = string.IsNullOrWhiteSpace(credential.Name) ? DefaultCredentialName : credential.Name.Trim();
        var credId = credential.CredId.TrimEnd('=');
        var completed = await writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            if (nonce is not null)
            {
                if (await db.UsedNonces.AnyAsync(n => n.Key == nonce.Key))
                {
                    return new CompleteOutcome(CompleteStatus.NonceReplayed);
                }

                db.UsedNonces.Add(new UsedNonce { Key = nonce.Key, ExpiresAt = nonce.ExpiresAt });
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

            challenge.ConsumedAt = now;
            code.UsedAt = now;
            user.IsRegistered = true;
            user.RegisteredAt = now;
            db.Credentials.Add(new Credential
            {
                Id = credentialId,
                OrgId = challenge.OrgId,
                UserId = user.Id,
                Kind = "Key",
                Name = name,
                CredId = credId,
                PublicKeyPem = check.PublicKeyPem!,
                CreatedAt = now,
            });
            db.Audit(now, challenge.OrgId, AuditActions.RegistrationCompleted, actor, user.Id, $"Key credential {credentialId}");
            return new CompleteOutcome(CompleteStatus.Registered, CredentialId: credentialId, CredentialName: name, Username: user.Username);
        });
        if (completed.Status == CompleteStatus.Registered)
        {
            telemetry.CodeConsumed(actor.Kind);
        }

        return completed;
    }

    private sealed record InitResult(InitStatus Status, string? UserId = null, string? Username = null, DateTimeOffset CreatedAt = default, DateTimeOffset ExpiresAt = default, bool CutOff = false);

    private async Task<InitResult> InitInTransactionAsync(PortalDbContext db, string orgId, string username, string input, Actor actor, NonceClaim? nonce, Guid challengeId, string challenge)
    {
        var now = time.GetUtcNow();
        var settings = options.CurrentValue;
        if (nonce is not null)
        {
            if (await db.UsedNonces.AnyAsync(n => n.Key == nonce.Key))
            {
                return new InitResult(InitStatus.NonceReplayed);
            }

            db.UsedNonces.Add(new UsedNonce { Key = nonce.Key, ExpiresAt = nonce.ExpiresAt });
        }

        var normalized = EmailAddress.Normalize(username);
        var user = await db.OrgUsers
            .Where(u => u.OrgId == orgId && u.NormalizedUsername == normalized)
            .Select(u => new { u.Id, u.Username, u.IsActive, u.IsRegistered })
            .FirstOrDefaultAsync();
        if (user is { IsRegistered: true })
        {
            return new InitResult(InitStatus.AlreadyRegistered);
        }

        var code = user is { IsActive: true }
            ? await db.RegistrationCodes
                .Where(c => c.UserId == user.Id)
                .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)
                .Select(c => new { c.Id, c.CodeHash, c.ExpiresAt, c.UsedAt, c.InvalidatedAt })
                .FirstOrDefaultAsync()
            : null;
        if (code is null || code.UsedAt is not null || code.InvalidatedAt is not null)
        {
            _ = hasher.Matches(input, NoCodeHash);
            return new InitResult(InitStatus.NotAuthorized);
        }

        // The attempt takes a slot in one statement that also refuses once the slots are gone, so however many
        // attempts run at once (here or on another instance), at most MaxFailedAttempts are ever compared.
        var won = await db.RegistrationCodes
            .Where(c => c.Id == code.Id && c.UsedAt == null && c.InvalidatedAt == null && c.FailedAttempts < settings.MaxFailedAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.FailedAttempts, c => c.FailedAttempts + 1));
        if (won == 0)
        {
            _ = hasher.Matches(input, NoCodeHash);
            var cutOff = await InvalidateForGuessingAsync(db, orgId, user!.Id, code.Id, actor, now);
            return new InitResult(InitStatus.NotAuthorized, CutOff: cutOff);
        }

        if (!hasher.Matches(input, code.CodeHash))
        {
            var attempts = await db.RegistrationCodes.Where(c => c.Id == code.Id).Select(c => c.FailedAttempts).FirstAsync();
            db.Audit(now, orgId, AuditActions.WrongCode, actor, user!.Id, $"attempt {attempts} of {settings.MaxFailedAttempts}");
            var cutOff = attempts >= settings.MaxFailedAttempts && await InvalidateForGuessingAsync(db, orgId, user.Id, code.Id, actor, now);
            return new InitResult(InitStatus.NotAuthorized, CutOff: cutOff);
        }

        // Right code: the streak of wrong ones is over (the counter counts wrong codes in a row).
        await db.RegistrationCodes
            .Where(c => c.Id == code.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.FailedAttempts, 0));
        if (code.ExpiresAt <= now)
        {
            return new InitResult(InitStatus.CodeExpired);
        }

        var expiresAt = now + settings.ChallengeLifetime;
        db.RegistrationChallenges.Add(new RegistrationChallenge
        {
            Id = challengeId,
            OrgId = orgId,
            UserId = user!.Id,
            CodeId = code.Id,
            Challenge = challenge,
            CreatedAt = now,
            ExpiresAt = expiresAt,
        });
        db.Audit(now, orgId, AuditActions.RegistrationStarted, actor, user.Id, $"challenge {challengeId}, expires {expiresAt:O}");
        return new InitResult(InitStatus.Started, user.Id, user.Username, now, expiresAt);
    }

    private static async Task<bool> InvalidateForGuessingAsync(PortalDbContext db, string orgId, string userId, Guid codeId, Actor actor, DateTimeOffset now)
    {
        var invalidated = await db.RegistrationCodes
            .Where(c => c.Id == codeId && c.InvalidatedAt == null && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.InvalidatedAt, now)
                .SetProperty(c => c.InvalidatedReason, TooManyAttempts));
        if (invalidated > 0)
        {
            db.Audit(now, orgId, AuditActions.CodeLocked, actor, userId, TooManyAttempts);
        }

        return invalidated > 0;
    }
}
