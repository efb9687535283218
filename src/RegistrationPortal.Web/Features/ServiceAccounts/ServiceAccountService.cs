using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>An authenticated service account: who is calling the users API, for which organization, with what rights.</summary>
public sealed record ServiceAccountCaller(string Id, string OrgId, bool CanWrite, string CredId, string PublicKeyPem)
{
    /// <summary>The audit actor: the API door, the service account by its id.</summary>
    public Actor Actor(string? clientAddress) => Shared.Actor.Api(Id, clientAddress);
}

public sealed record ServiceAccountRow(string Id, string Name, string CredId, bool CanWrite, bool IsActive, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public enum CreateServiceAccountStatus
{
    Created,
    InvalidName,
    InvalidPublicKey,
    InvalidExpiry,
    UnknownOrganization,
}

/// <summary>A new service account; <paramref name="Token"/> exists only here, to be shown once.</summary>
public sealed record CreateServiceAccountOutcome(CreateServiceAccountStatus Status, string? Problem = null, string? Id = null, string? CredId = null, string? Token = null);

public enum ServiceAccountChangeStatus
{
    Changed,
    Unchanged,

    /// <summary>No such service account (in the organization asked about).</summary>
    NotFound,
}

public enum UserActionStatus
{
    Accepted,

    /// <summary>No <c>X-DFNS-USERACTION</c> header.</summary>
    Missing,

    /// <summary>Unknown, expired, of another service account, or already used.</summary>
    Invalid,

    /// <summary>A valid action signed for another method, path or body.</summary>
    Mismatch,
}

public sealed record UserActionChallengeResult(string Challenge, string ChallengeIdentifier, string CredId);

/// <summary>
/// Service accounts of an organization and the user actions they sign. Created and revoked by an org admin in the
/// portal (<see cref="AdminScope"/>) or by the operator; every change and every refused use is audited.
/// </summary>
public sealed class ServiceAccountService(
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    ServiceAccountSecrets secrets,
    TimeProvider time,
    IOptionsMonitor<ServiceAccountOptions> options)
{
    public const int MaxNameLength = 200;

    /// <summary>An organization has a handful of service accounts; the page lists up to this many.</summary>
    public const int MaxListed = 500;

    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Enter a name for the service account."
        : name.Trim().Length > MaxNameLength ? $"Use at most {MaxNameLength} characters."
        : !OrganizationService.IsOneLine(name) ? $"The name must be {OrganizationService.OneLine}."
        : null;

    public async Task<IReadOnlyList<ServiceAccountRow>> ListAsync(AdminScope scope, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Set<ServiceAccount>().AsNoTracking()
            .Where(a => a.OrgId == scope.OrgId)
            .OrderByDescending(a => a.CreatedAt)
            .ThenBy(a => a.Id)
            .Take(MaxListed)
            .Select(a => new ServiceAccountRow(a.Id, a.Name, a.CredId, a.CanWrite, a.IsActive, a.CreatedAt, a.ExpiresAt))
            .ToListAsync(ct);
    }

    public Task<CreateServiceAccountOutcome> CreateAsync(AdminScope scope, string? name, string? publicKeyPem, bool canWrite, DateTimeOffset? expiresAt, string? clientAddress) =>
        CreateAsync(scope.OrgId, name, publicKeyPem, canWrite, expiresAt, Actor.Admin(scope.AdminId, clientAddress));

    /// <summary>Creates an active service account; the answer carries its token, which is stored only as a keyed hash.</summary>
    public async Task<CreateServiceAccountOutcome> CreateAsync(string orgId, string? name, string? publicKeyPem, bool canWrite, DateTimeOffset? expiresAt, Actor actor)
    {
        if (NameProblem(name) is { } nameProblem)
        {
            return new CreateServiceAccountOutcome(CreateServiceAccountStatus.InvalidName, nameProblem);
        }

        if (UserActions.ReadPublicKey(publicKeyPem, out var keyProblem) is not { } pem)
        {
            return new CreateServiceAccountOutcome(CreateServiceAccountStatus.InvalidPublicKey, keyProblem);
        }

        if (expiresAt is { } expiry && expiry <= time.GetUtcNow())
        {
            return new CreateServiceAccountOutcome(CreateServiceAccountStatus.InvalidExpiry, "The expiry must be in the future.");
        }

        var id = Ids.New(ServiceAccount.IdPrefix);
        var credId = ServiceAccountSecrets.NewSecret();
        var token = secrets.NewToken(orgId, id, time.GetUtcNow());
        var tokenHash = secrets.Hash(token);
        var created = await writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == orgId))
            {
                return false;
            }

            var now = time.GetUtcNow();
            db.Set<ServiceAccount>().Add(new ServiceAccount
            {
                Id = id,
                OrgId = orgId,
                Name = name!.Trim(),
                CredId = credId,
                PublicKeyPem = pem,
                TokenHash = tokenHash,
                CanWrite = canWrite,
                CreatedAt = now,
                ExpiresAt = expiresAt,
            });
            var expiry = expiresAt is { } at ? $", expires {at:O}" : "";
            db.Audit(now, orgId, AuditActions.ServiceAccountCreated, actor, id, $"{name!.Trim()}: users {(canWrite ? "read and write" : "read only")}{expiry}");
            return true;
        });

        return created
            ? new CreateServiceAccountOutcome(CreateServiceAccountStatus.Created, Id: id, CredId: credId, Token: token)
            : new CreateServiceAccountOutcome(CreateServiceAccountStatus.UnknownOrganization, "No such organization.");
    }

    public Task<ServiceAccountChangeStatus> SetActiveAsync(AdminScope scope, string accountId, bool active, string? clientAddress) =>
        SetActiveAsync(scope.OrgId, accountId, active, Actor.Admin(scope.AdminId, clientAddress));

    /// <summary>
    /// Deactivates (every call with its token is refused from the next request on) or reactivates a service account.
    /// With an <paramref name="orgId"/>, an account of another organization is not found, and the attempt is audited.
    /// </summary>
    public Task<ServiceAccountChangeStatus> SetActiveAsync(string? orgId, string accountId, bool active, Actor actor) =>
        writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            var account = await db.Set<ServiceAccount>().ForUpdate().FirstOrDefaultAsync(a => a.Id == accountId && (orgId == null || a.OrgId == orgId));
            if (account is null)
            {
                if (orgId is not null)
                {
                    db.Audit(now, orgId, AuditActions.AccessDenied, actor, accountId, $"{(active ? "reactivate" : "deactivate")}: no such service account in the organization");
                }

                return ServiceAccountChangeStatus.NotFound;
            }

            if (account.IsActive == active)
            {
                return ServiceAccountChangeStatus.Unchanged;
            }

            account.IsActive = active;
            db.Audit(now, account.OrgId, active ? AuditActions.ServiceAccountReactivated : AuditActions.ServiceAccountDeactivated, actor, account.Id, account.Name);
            return ServiceAccountChangeStatus.Changed;
        });

    /// <summary>
    /// The service account whose token <paramref name="bearer"/> is, when it is active and not expired. A token of a
    /// deactivated or expired account is refused like an unknown one, and the attempt is audited in its organization.
    /// </summary>
    public async Task<ServiceAccountCaller?> AuthenticateAsync(string? bearer, string? clientAddress, CancellationToken ct = default)
    {
        if (bearer is null)
        {
            return null;
        }

        var hash = secrets.Hash(bearer);
        ServiceAccount? account;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            account = await db.Set<ServiceAccount>().AsNoTracking().FirstOrDefaultAsync(a => a.TokenHash == hash, ct);
        }

        if (account is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (!account.IsActive || account.ExpiresAt <= now)
        {
            await DenyAsync(account.OrgId, Actor.Api(account.Id, clientAddress), account.Id, account.IsActive ? "service account token expired" : "service account is deactivated");
            return null;
        }

        return new ServiceAccountCaller(account.Id, account.OrgId, account.CanWrite, account.CredId, account.PublicKeyPem);
    }

    /// <summary>Starts a user action for one future call (method, path, exact body) and answers the challenge to sign.</summary>
    public async Task<UserActionChallengeResult> CreateChallengeAsync(ServiceAccountCaller caller, string method, string path, string payload)
    {
        var identifier = ServiceAccountSecrets.NewSecret();
        var challenge = ServiceAccountSecrets.NewSecret();
        var identifierHash = secrets.Hash(identifier);
        var payloadHash = UserActions.PayloadHash(System.Text.Encoding.UTF8.GetBytes(payload));
        await writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();

            // The account's spent and expired actions go as it asks for a new one: the table holds only live ones.
            await db.Set<UserAction>().Where(a => a.ServiceAccountId == caller.Id && a.ExpiresAt < now).ExecuteDeleteAsync();
            db.Set<UserAction>().Add(new UserAction
            {
                Id = Guid.CreateVersion7(now),
                OrgId = caller.OrgId,
                ServiceAccountId = caller.Id,
                ChallengeIdentifierHash = identifierHash,
                Challenge = challenge,
                HttpMethod = method,
                HttpPath = path,
                PayloadHash = payloadHash,
                CreatedAt = now,
                ExpiresAt = now + options.CurrentValue.UserActionLifetime,
            });
            return true;
        });
        return new UserActionChallengeResult(challenge, identifier, caller.CredId);
    }

    /// <summary>
    /// Checks the signed challenge and answers the user action token, or null: an unknown, expired or already signed
    /// challenge, another account's, another credential, or a signature that does not verify (audited).
    /// </summary>
    public async Task<string?> SignAsync(ServiceAccountCaller caller, string challengeIdentifier, string credId, string clientData, string signature, string? clientAddress)
    {
        var hash = secrets.Hash(challengeIdentifier);
        var now = time.GetUtcNow();
        UserAction? action;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            action = await db.Set<UserAction>().AsNoTracking().FirstOrDefaultAsync(a => a.ChallengeIdentifierHash == hash);
        }

        var refusal = action is null ? "user action challenge unknown"
            : action.ServiceAccountId != caller.Id ? "user action challenge of another service account"
            : action.SignedAt is not null ? "user action challenge already signed"
            : action.ExpiresAt <= now ? "user action challenge expired"
            : null;
        if (refusal is not null)
        {
            await DenyAsync(caller.OrgId, caller.Actor(clientAddress), caller.Id, refusal);
            return null;
        }

        if (!string.Equals(credId, caller.CredId, StringComparison.Ordinal) || !UserActions.Verify(caller.PublicKeyPem, action!.Challenge, clientData, signature))
        {
            await DenyAsync(caller.OrgId, caller.Actor(clientAddress), caller.Id, "user action signature refused");
            return null;
        }

        var token = ServiceAccountSecrets.NewSecret();
        var tokenHash = secrets.Hash(token);
        var signed = await writes.ExecuteAsync(async db =>
        {
            var at = time.GetUtcNow();
            return await db.Set<UserAction>()
                .Where(a => a.Id == action.Id && a.SignedAt == null && a.ExpiresAt > at)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(a => a.SignedAt, at)
                    .SetProperty(a => a.TokenHash, tokenHash)
                    .SetProperty(a => a.ExpiresAt, at + options.CurrentValue.UserActionLifetime));
        });
        return signed == 1 ? token : null;
    }

    /// <summary>
    /// Spends the user action <paramref name="token"/> on this call: it must be the caller's, signed, unused, unexpired,
    /// and bound to exactly this method, path and body. Accepted only once, whatever happens to the call afterwards.
    /// </summary>
    public async Task<UserActionStatus> ConsumeAsync(ServiceAccountCaller caller, string? token, string method, string path, byte[] bodyHash, string? clientAddress)
    {
        if (token is null)
        {
            return UserActionStatus.Missing;
        }

        var hash = secrets.Hash(token);
        UserAction? action;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            action = await db.Set<UserAction>().AsNoTracking().FirstOrDefaultAsync(a => a.TokenHash == hash);
        }

        var now = time.GetUtcNow();
        string? refusal = action is null ? "unknown user action"
            : action.ServiceAccountId != caller.Id ? "user action of another service account"
            : action.UsedAt is not null ? "user action replayed"
            : action.ExpiresAt <= now ? "user action expired"
            : null;
        if (refusal is null
            && (!string.Equals(action!.HttpMethod, method, StringComparison.Ordinal)
                || !string.Equals(action.HttpPath, path, StringComparison.Ordinal)
                || !action.PayloadHash.AsSpan().SequenceEqual(bodyHash)))
        {
            await DenyAsync(caller.OrgId, caller.Actor(clientAddress), caller.Id, $"user action signed for another request, used on {method} {Truncate(path, 120)}");
            return UserActionStatus.Mismatch;
        }

        if (refusal is null)
        {
            var claimed = await writes.ExecuteAsync(async db =>
            {
                var at = time.GetUtcNow();
                return await db.Set<UserAction>()
                    .Where(a => a.Id == action!.Id && a.UsedAt == null && a.ExpiresAt > at)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.UsedAt, at));
            });
            if (claimed == 1)
            {
                return UserActionStatus.Accepted;
            }

            refusal = "user action replayed";
        }

        await DenyAsync(caller.OrgId, caller.Actor(clientAddress), caller.Id, refusal);
        return UserActionStatus.Invalid;
    }

    private Task<bool> DenyAsync(string orgId, Actor actor, string subjectId, string details) =>
        writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), orgId, AuditActions.AccessDenied, actor, subjectId, details);
            return Task.FromResult(true);
        });

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
