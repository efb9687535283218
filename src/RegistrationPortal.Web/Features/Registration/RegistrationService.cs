using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Data.Postgres;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The one place where registration codes are made or invalidated. Every door (admin portal, self-service
/// page, public API, command line) calls it with an <see cref="Actor"/>; each call is one transaction in the
/// <see cref="WriteQueue"/>, and the email it needs is an outbox row in that same transaction.
/// </summary>
public sealed class RegistrationService(
    WriteQueue writes,
    DirectWrites direct,
    IDbContextFactory<PortalDbContext> contexts,
    CodeHasher hasher,
    IDataProtectionProvider dataProtection,
    EmailSignal emailSignal,
    PublicRequestSignal requestSignal,
    TimeProvider time,
    IOptionsMonitor<RegistrationOptions> options,
    PortalTelemetry telemetry)
{
    private readonly IDataProtector _payloadProtector = dataProtection.CreateProtector(OutboxPayload.Purpose);

    /// <summary>
    /// A resend asked for through a public door (the API, the self-service page). The work before the answer is the same
    /// whoever the user is: the nonce, the per-user throttle (kept for unknown users alike), and a recorded request, in
    /// one write; <see cref="PublicRequestProcessor"/> then resolves the user and issues the code through
    /// <see cref="ProcessPublicRequestsAsync"/>. So neither the answer nor its timing tells whether the account exists.
    /// </summary>
    public async Task<PublicResendOutcome> RequestResendAsync(string orgId, string username, Actor actor, NonceClaim? nonce = null)
    {
        using var span = PortalTelemetry.StartActivity("registration.resend")
            .SetTag("portal.door", PortalTelemetry.Door(actor.Kind))
            .SetTag("portal.org_id", orgId);
        var normalized = EmailAddress.Normalize(username);
        var correlationId = PortalTelemetry.CurrentCorrelationId();
        var traceParent = Activity.Current?.Id;
        var outcome = direct.Source is not null ? await RecordDirectAsync() : await writes.ExecuteAsync(RecordInBatchAsync);
        span.SetTag("portal.outcome", outcome.Status.ToString().ToLowerInvariant());
        if (outcome.Status == PublicResendStatus.Accepted)
        {
            requestSignal.Notify();
        }
        else
        {
            // The true outcome of an accepted request is counted once it is resolved.
            telemetry.Resend(actor.Kind, outcome.Status == PublicResendStatus.Throttled ? ResendStatus.Throttled : ResendStatus.NonceReplayed);
        }

        return outcome;

        // SQLite: three statements in the writer's next batch. The time is read in the write: the counter's order is the writer's.
        async Task<PublicResendOutcome> RecordInBatchAsync(PortalDbContext db)
        {
            if (nonce is not null && !await nonce.ClaimAsync(db))
            {
                return new PublicResendOutcome(PublicResendStatus.NonceReplayed);
            }

            var now = time.GetUtcNow();
            var settings = options.CurrentValue;
            if (!await PublicRequestSql.TryCountResendAsync(db, orgId, normalized, now, settings))
            {
                return await ThrottledAsync(db, now, settings);
            }

            await PublicRequestSql.RecordAsync(db, PublicRequest.Of(PublicRequestKind.Resend, orgId, normalized, actor, now, correlationId, traceParent));
            return new PublicResendOutcome(PublicResendStatus.Accepted);
        }

        // PostgreSQL: the same writes as one statement, sent and committed with the other requests' of its round.
        async Task<PublicResendOutcome> RecordDirectAsync()
        {
            var now = time.GetUtcNow();
            var settings = options.CurrentValue;
            var request = PublicRequest.Of(PublicRequestKind.Resend, orgId, normalized, actor, now, correlationId, traceParent);
            var status = await PublicRequestSql.RecordResendAsync(direct, nonce, request, settings);
            if (status != PublicResendStatus.Throttled)
            {
                return new PublicResendOutcome(status);
            }

            await using var db = await contexts.CreateDbContextAsync();
            return await ThrottledAsync(db, now, settings);
        }

        // How long the held user waits, from the throttle row the refused count left as it was.
        async Task<PublicResendOutcome> ThrottledAsync(PortalDbContext db, DateTimeOffset now, RegistrationOptions settings)
        {
            var throttle = await db.ResendThrottles.AsNoTracking().FirstOrDefaultAsync(t => t.OrgId == orgId && t.NormalizedUsername == normalized);
            return new PublicResendOutcome(PublicResendStatus.Throttled, ResendThrottling.Check(throttle, now, settings) ?? TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Resolves up to <paramref name="max"/> of the public doors' recorded requests, oldest first, in one write: a
    /// pending user's resend issues a code exactly as <see cref="ResendAsync"/> does (unless a code issued after the
    /// request already answers it), a registered or deactivated user's is audited as skipped, an unknown one is dropped;
    /// a wrong code counts against the code it was tried on, which dies at
    /// <see cref="RegistrationOptions.MaxFailedAttemptsPerCode"/> in a row. Returns how many requests were resolved.
    /// </summary>
    public Task<int> ProcessPublicRequestsAsync(int max) => ProcessPublicRequestsAsync(max, []);

    /// <summary>
    /// As <see cref="ProcessPublicRequestsAsync(int)"/>, passing over the requests in <paramref name="setAside"/> (those
    /// this host could not resolve: <see cref="PublicRequestProcessor"/> keeps them).
    /// </summary>
    public async Task<int> ProcessPublicRequestsAsync(int max, IReadOnlyCollection<Guid> setAside)
    {
        if (direct.Source is not null)
        {
            // PostgreSQL: the batch is chosen inside its own transaction, passing over the requests another batch holds,
            // so the processors of several hosts take different requests instead of all reading the same oldest ones
            // and then finding them locked. Its codes are made as they are needed, inside the write (the writers run
            // side by side there).
            return await ResolvePublicRequestsAsync(db => Waiting(db, setAside).Take(max), []);
        }

        List<Guid> ids;
        int resends;
        await using (var read = await contexts.CreateDbContextAsync())
        {
            var waiting = await Waiting(read, setAside)
                .Take(max)
                .Select(r => new { r.Id, r.Kind })
                .ToListAsync();
            ids = waiting.Select(r => r.Id).ToList();
            resends = waiting.Count(r => r.Kind == PublicRequestKind.Resend);
        }

        return ids.Count == 0 ? 0 : await ResolvePublicRequestsAsync(ids, resends);
    }

    /// <summary>The ids of up to <paramref name="max"/> waiting requests, oldest first, read without reading the rest of each row.</summary>
    public async Task<List<Guid>> WaitingPublicRequestsAsync(int max, IReadOnlyCollection<Guid> setAside)
    {
        await using var read = await contexts.CreateDbContextAsync();
        return await Waiting(read, setAside).Take(max).Select(r => r.Id).ToListAsync();
    }

    /// <summary>Resolves one recorded request on its own, in a write of its own (nothing if it is gone, or another host holds it).</summary>
    public async Task ProcessPublicRequestAsync(Guid id)
    {
        PublicRequestKind? kind;
        await using (var read = await contexts.CreateDbContextAsync())
        {
            kind = await read.PublicRequests.AsNoTracking().Where(r => r.Id == id).Select(r => (PublicRequestKind?)r.Kind).FirstOrDefaultAsync();
        }

        await ResolvePublicRequestsAsync([id], kind == PublicRequestKind.Resend ? 1 : 0);
    }

    private static IQueryable<PublicRequest> Chosen(PortalDbContext db, List<Guid> ids) =>
        db.PublicRequests.AsNoTracking().Where(r => ids.Contains(r.Id)).OrderBy(r => r.Id);

    private static IQueryable<PublicRequest> Waiting(PortalDbContext read, IReadOnlyCollection<Guid> setAside)
    {
        var waiting = read.PublicRequests.AsNoTracking();
        if (setAside.Count > 0)
        {
            waiting = waiting.Where(r => !setAside.Contains(r.Id));
        }

        return waiting.OrderBy(r => r.Id);
    }

    private Task<int> ResolvePublicRequestsAsync(List<Guid> ids, int resends)
    {
        // The secrets are made outside the writer, one for each resend that may need one.
        var codes = new List<PreparedCode>(resends);
        for (var i = 0; i < resends; i++)
        {
            codes.Add(PrepareCode());
        }

        return ResolvePublicRequestsAsync(db => Chosen(db, ids), codes);
    }

    /// <summary>
    /// Resolves the requests <paramref name="chosen"/> picks (in key order), in one write, with the <paramref name="codes"/>
    /// made beforehand and more made as needed.
    /// </summary>
    private async Task<int> ResolvePublicRequestsAsync(Func<PortalDbContext, IQueryable<PublicRequest>> chosen, List<PreparedCode> codes)
    {
        var result = await writes.ExecuteAsync(db => ProcessInTransactionAsync(db, chosen(db), codes));
        if (result.Sent > 0)
        {
            emailSignal.Notify();
        }

        foreach (var (kind, status) in result.Outcomes)
        {
            telemetry.Resend(kind, status);
        }

        for (var i = 0; i < result.CutOffs; i++)
        {
            telemetry.GuessingCutoff(ActorKind.ApiApplication);
        }

        return result.Processed;
    }

    /// <summary>The audit details of a wrong code tried when the user had no code it could count against.</summary>
    internal const string WrongCodeNotCounted = "not counted: no code it could count against (replaced, used or invalidated)";

    private sealed record ProcessResult(int Processed, int Sent, int CutOffs, List<(ActorKind Kind, ResendStatus Status)> Outcomes);

    private async Task<ProcessResult> ProcessInTransactionAsync(PortalDbContext db, IQueryable<PublicRequest> chosen, List<PreparedCode> codes)
    {
        // Rows another batch is resolving are passed over (PostgreSQL); on SQLite the writer is alone.
        var requests = await chosen.ForUpdateSkipLocked().ToListAsync();
        var outcomes = new List<(ActorKind, ResendStatus)>();
        if (requests.Count == 0)
        {
            return new ProcessResult(0, 0, 0, outcomes);
        }

        var orgIds = requests.Select(r => r.OrgId).Distinct(StringComparer.Ordinal).ToList();
        var names = requests.Select(r => r.NormalizedUsername).Distinct(StringComparer.Ordinal).ToList();

        // Users in key order, locked: the order every writer of a user's codes takes them in.
        var users = (await db.OrgUsers
                .Where(u => orgIds.Contains(u.OrgId) && names.Contains(u.NormalizedUsername))
                .OrderBy(u => u.Id)
                .Select(u => new { u.Id, u.OrgId, u.Username, u.NormalizedUsername, u.IsActive, u.IsRegistered })
                .ForUpdate()
                .ToListAsync())
            .ToDictionary(u => (u.OrgId, u.NormalizedUsername));
        var userIds = users.Values.Select(u => u.Id).ToList();

        // Each user's outstanding code: a resend asked for before it was issued is answered by it already, and a wrong
        // code tried after it was issued counts against it.
        var outstanding = (await db.RegistrationCodes.AsNoTracking()
                .Where(c => userIds.Contains(c.UserId) && c.UsedAt == null && c.InvalidatedAt == null)
                .Select(c => new { c.UserId, c.Id, c.CreatedAt })
                .ToListAsync())
            .GroupBy(c => c.UserId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(c => c.CreatedAt)!, StringComparer.Ordinal);

        var now = time.GetUtcNow();
        var audits = new List<AuditEvent>();
        var issued = new List<IssuedCode>();
        var sendIds = new List<string>();
        var issuedNow = new HashSet<string>(StringComparer.Ordinal);
        var wrongByCode = new Dictionary<Guid, List<PublicRequest>>();
        foreach (var request in requests)
        {
            users.TryGetValue((request.OrgId, request.NormalizedUsername), out var user);
            var actor = new Actor(request.ActorKind, request.ActorId, request.ClientAddress);
            if (request.Kind == PublicRequestKind.WrongCode)
            {
                if (user is not null && outstanding.TryGetValue(user.Id, out var tried) && tried.CreatedAt <= request.CreatedAt)
                {
                    (wrongByCode.TryGetValue(tried.Id, out var list) ? list : wrongByCode[tried.Id] = []).Add(request);
                }
                else if (user is not null)
                {
                    // Tried on a code since replaced (before this write resolved it), or on a user with no code left (one
                    // who registered): nothing to count it against, but the try is the organization's to see.
                    audits.Add(AuditExtensions.Event(now, user.OrgId, AuditActions.WrongCode, actor, user.Id, WrongCodeNotCounted, request.CorrelationId));
                }

                continue;
            }

            if (user is null)
            {
                outcomes.Add((request.ActorKind, ResendStatus.Unknown));
                continue;
            }

            if (!user.IsActive || user.IsRegistered)
            {
                var status = user.IsRegistered ? ResendStatus.AlreadyRegistered : ResendStatus.Deactivated;
                audits.Add(AuditExtensions.Event(now, user.OrgId, AuditActions.ResendSkipped, actor, user.Id, status.ToString(), request.CorrelationId));
                outcomes.Add((request.ActorKind, status));
                continue;
            }

            if (issuedNow.Contains(user.Id) || (outstanding.TryGetValue(user.Id, out var current) && current.CreatedAt > request.CreatedAt))
            {
                // A code issued since the request (for another request of the batch, by an admin) already answers it.
                outcomes.Add((request.ActorKind, ResendStatus.Sent));
                continue;
            }

            var code = NewCode(user.OrgId, user.Id, user.Username, actor, now, issued.Count < codes.Count ? codes[issued.Count] : PrepareCode(), request.CorrelationId, request.TraceParent);
            issued.Add(code);
            sendIds.Add(user.Id);
            issuedNow.Add(user.Id);
            outcomes.Add((request.ActorKind, ResendStatus.Sent));
        }

        // Wrong codes first: one tried on a code that a resend of this batch replaces still counts against it, and is
        // audited, as it would be had the two been resolved in separate batches.
        var cutOffs = 0;
        foreach (var (codeId, wrong) in wrongByCode)
        {
            cutOffs += await CountWrongCodesAsync(db, codeId, wrong, audits, now) ? 1 : 0;
        }

        await InvalidateUnusedCodesAsync(db, sendIds, now);
        await using (var insert = PreparedInsert<RegistrationCode>.Create(db))
        {
            await insert.InsertAsync(issued.Select(i => i.Code));
        }

        await using (var insert = PreparedInsert<OutboxMessage>.Create(db))
        {
            await insert.InsertAsync(issued.Select(i => i.Email));
        }

        await using (var insert = PreparedInsert<AuditEvent>.Create(db))
        {
            await insert.InsertAsync(audits.Concat(issued.Select(i => i.Audit)));
        }

        var resolved = requests.Select(r => r.Id).ToList();
        await db.PublicRequests.Where(r => resolved.Contains(r.Id)).ExecuteDeleteAsync();
        return new ProcessResult(requests.Count, issued.Count, cutOffs, outcomes);
    }

    /// <summary>Counts wrong codes against the code they were tried on; true when this cut the code off.</summary>
    private async Task<bool> CountWrongCodesAsync(PortalDbContext db, Guid codeId, List<PublicRequest> wrong, List<AuditEvent> audits, DateTimeOffset now)
    {
        var settings = options.CurrentValue;
        var code = await db.RegistrationCodes
            .Where(c => c.Id == codeId && c.UsedAt == null && c.InvalidatedAt == null)
            .Select(c => new { c.OrgId, c.UserId, c.FailedAttempts })
            .FirstOrDefaultAsync();
        if (code is null)
        {
            return false;
        }

        var attempts = code.FailedAttempts;
        foreach (var request in wrong)
        {
            attempts++;
            var actor = new Actor(request.ActorKind, request.ActorId, request.ClientAddress);
            audits.Add(AuditExtensions.Event(now, code.OrgId, AuditActions.WrongCode, actor, code.UserId, $"attempt {attempts} of {settings.MaxFailedAttemptsPerCode}", request.CorrelationId));
        }

        var cutOff = attempts >= settings.MaxFailedAttemptsPerCode;
        await db.RegistrationCodes
            .Where(c => c.Id == codeId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.FailedAttempts, attempts)
                .SetProperty(c => c.InvalidatedAt, c => cutOff ? now : c.InvalidatedAt)
                .SetProperty(c => c.InvalidatedReason, c => cutOff ? RegistrationCompletionService.TooManyAttempts : c.InvalidatedReason));
        if (cutOff)
        {
            var last = wrong[^1];
            audits.Add(AuditExtensions.Event(now, code.OrgId, AuditActions.CodeLocked, new Actor(last.ActorKind, last.ActorId, last.ClientAddress), code.UserId, RegistrationCompletionService.TooManyAttempts, last.CorrelationId));
        }

        return cutOff;
    }

    /// <summary>
    /// A resend with its true outcome, for the admin portal and the operator: an admin's resend is never held back by
    /// the per-user cooldown (which guards the public doors); it still counts towards it, and the audit event says when
    /// it overrode it.
    /// </summary>
    public async Task<ResendOutcome> ResendAsync(string orgId, string username, Actor actor)
    {
        using var span = PortalTelemetry.StartActivity("registration.resend")
            .SetTag("portal.door", PortalTelemetry.Door(actor.Kind))
            .SetTag("portal.org_id", orgId);

        // Secrets are made before the write transaction: the writer's time goes to the database alone, and Data
        // Protection may write a new key of its own without waiting behind the writer.
        var code = PrepareCode();
        var outcome = await writes.ExecuteAsync(db => ResendInTransactionAsync(db, orgId, username, actor, code));
        if (outcome.Status == ResendStatus.Sent)
        {
            emailSignal.Notify();
        }

        span.SetTag("portal.outcome", ResendTelemetry.Outcome(outcome.Status));
        telemetry.Resend(actor.Kind, outcome.Status);
        return outcome;
    }

    /// <summary>
    /// Resends the codes of many users of one organization, by user id, in one write: the admin portal's bulk resend.
    /// Each user is handled exactly as <see cref="ResendAsync"/> handles one (the same throttle, the same skips, one
    /// audit event each); an id that is not a user of <paramref name="orgId"/> is audited as an access denied and
    /// reported <see cref="ResendStatus.Unknown"/>. Many users per write item keeps the writer's time per user small.
    /// </summary>
    public async Task<IReadOnlyList<UserResendOutcome>> ResendToUsersAsync(string orgId, IReadOnlyCollection<string> userIds, Actor actor)
    {
        var ids = userIds.Distinct(StringComparer.Ordinal).ToList();
        // A list, not a queue: the write may run more than once (a retried batch), and each run takes the same codes.
        var codes = new List<PreparedCode>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            codes.Add(PrepareCode());
        }

        var outcomes = await writes.ExecuteAsync(db => ResendToUsersInTransactionAsync(db, orgId, ids, actor, codes));
        if (outcomes.Any(o => o.Status == ResendStatus.Sent))
        {
            emailSignal.Notify();
        }

        return outcomes;
    }

    /// <summary>
    /// Invites a person: the pending user, their first code, its email (in <paramref name="language"/>, English when
    /// null) and the audit events in one transaction.
    /// </summary>
    public async Task<InviteOutcome> InviteAsync(string orgId, string email, UserKind kind, Actor actor, string? language = null)
    {
        if (!EmailAddress.IsValid(email))
        {
            return new InviteOutcome(InviteStatus.InvalidEmail);
        }

        var code = PrepareCode();
        var outcome = await writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            var normalized = EmailAddress.Normalize(email);
            if (!await db.Organizations.AnyAsync(o => o.Id == orgId))
            {
                return new InviteOutcome(InviteStatus.UnknownOrganization);
            }

            if (await db.OrgUsers.AnyAsync(u => u.OrgId == orgId && u.NormalizedUsername == normalized))
            {
                return new InviteOutcome(InviteStatus.DuplicateEmail);
            }

            var user = new OrgUser
            {
                Id = Ids.New(Ids.User),
                OrgId = orgId,
                Username = email.Trim(),
                NormalizedUsername = normalized,
                Kind = kind,
                CreatedAt = now,
                Language = PortalLanguages.OrDefault(language),
            };
            db.OrgUsers.Add(user);
            db.Audit(now, orgId, AuditActions.UserInvited, actor, user.Id, user.Language == PortalLanguages.Default ? $"kind {kind}" : $"kind {kind}, language {user.Language}");
            var expiresAt = await IssueCodeAsync(db, orgId, user.Id, user.Username, actor, now, code, kind: EmailKind.Invitation);
            return new InviteOutcome(InviteStatus.Invited, user.Id, expiresAt);
        });

        if (outcome.Status == InviteStatus.Invited)
        {
            emailSignal.Notify();
        }

        return outcome;
    }

    private async Task<ResendOutcome> ResendInTransactionAsync(PortalDbContext db, string orgId, string username, Actor actor, PreparedCode code)
    {
        var normalized = EmailAddress.Normalize(username);

        // Locked in the same order everywhere (the user, then their counter), so that on PostgreSQL a resend that
        // another host runs for the same user at the same moment waits for this one and then sees its code and count.
        var user = await db.OrgUsers
            .Where(u => u.OrgId == orgId && u.NormalizedUsername == normalized)
            .Select(u => new { u.Id, u.Username, u.IsActive, u.IsRegistered })
            .ForUpdate()
            .FirstOrDefaultAsync();

        // The admins' counter (locked: two resends at once count one after the other; a counter two hosts create at once
        // is a unique-key race, and the loser runs again on the winner's row), and the public doors' (read only: an
        // admin's resend is not counted there, or the public doors' answers would tell that the user exists).
        var adminThrottle = await db.AdminResendThrottles.ForUpdate().FirstOrDefaultAsync(t => t.OrgId == orgId && t.NormalizedUsername == normalized);
        var publicThrottle = await db.ResendThrottles.AsNoTracking().FirstOrDefaultAsync(t => t.OrgId == orgId && t.NormalizedUsername == normalized);

        // The time is read once the locks are held: a writer that waited for another's lock must not count itself as
        // earlier than the resend it waited for (it would find itself throttled by a future request, and set the
        // counter back in time).
        var now = time.GetUtcNow();
        var wait = ResendThrottling.Check(publicThrottle, adminThrottle, now, options.CurrentValue);
        if (wait is { } retryAfter && actor.Kind != ActorKind.Admin)
        {
            return new ResendOutcome(ResendStatus.Throttled, retryAfter);
        }

        ResendThrottling.RecordAdmin(db, adminThrottle, orgId, normalized, now);

        if (user is null)
        {
            return new ResendOutcome(ResendStatus.Unknown);
        }

        if (wait is { } overridden)
        {
            db.Audit(now, orgId, AuditActions.ResendCooldownOverridden, actor, user.Id, $"the per-user limit would have asked to wait {Math.Ceiling(overridden.TotalSeconds)} s");
        }

        if (!user.IsActive || user.IsRegistered)
        {
            var status = user.IsRegistered ? ResendStatus.AlreadyRegistered : ResendStatus.Deactivated;
            db.Audit(now, orgId, AuditActions.ResendSkipped, actor, user.Id, status.ToString());
            return new ResendOutcome(status, Email: user.Username);
        }

        var expiresAt = await IssueCodeAsync(db, orgId, user.Id, user.Username, actor, now, code);
        return new ResendOutcome(ResendStatus.Sent, Email: user.Username, ExpiresAt: expiresAt);
    }

    private async Task<IReadOnlyList<UserResendOutcome>> ResendToUsersInTransactionAsync(PortalDbContext db, string orgId, List<string> ids, Actor actor, List<PreparedCode> codes)
    {
        var settings = options.CurrentValue;

        // Users, then their counters, each in key order: the order every writer locks them in (see ResendAsync).
        var users = await db.OrgUsers
            .Where(u => u.OrgId == orgId && ids.Contains(u.Id))
            .OrderBy(u => u.Id)
            .Select(u => new { u.Id, u.Username, u.NormalizedUsername, u.IsActive, u.IsRegistered })
            .ForUpdate()
            .ToDictionaryAsync(u => u.Id, StringComparer.Ordinal);
        var usernames = users.Values.Select(u => u.NormalizedUsername).ToList();
        var throttles = await db.AdminResendThrottles.AsNoTracking()
            .Where(t => t.OrgId == orgId && usernames.Contains(t.NormalizedUsername))
            .OrderBy(t => t.NormalizedUsername)
            .ForUpdate()
            .ToDictionaryAsync(t => t.NormalizedUsername, StringComparer.Ordinal);
        var publicThrottles = await db.ResendThrottles.AsNoTracking()
            .Where(t => t.OrgId == orgId && usernames.Contains(t.NormalizedUsername))
            .ToDictionaryAsync(t => t.NormalizedUsername, StringComparer.Ordinal);

        // Read once the locks are held, as for a single resend.
        var now = time.GetUtcNow();

        // Decided in memory, written below with prepared statements: thousands of rows through the change tracker
        // would cost the single writer several times what the inserts do.
        var outcomes = new List<UserResendOutcome>(ids.Count);
        var audits = new List<AuditEvent>(ids.Count);
        var counters = new List<AdminResendThrottle>(ids.Count);
        var toSend = new List<(string Id, string Email)>();
        foreach (var id in ids)
        {
            if (!users.TryGetValue(id, out var user))
            {
                audits.Add(AuditExtensions.Event(now, orgId, AuditActions.AccessDenied, actor, id[..Math.Min(id.Length, 64)], "bulk resend: no such user in the organization", db.CorrelationId));
                outcomes.Add(new UserResendOutcome(id, ResendStatus.Unknown));
                continue;
            }

            throttles.TryGetValue(user.NormalizedUsername, out var throttle);
            publicThrottles.TryGetValue(user.NormalizedUsername, out var publicThrottle);
            if (ResendThrottling.Check(publicThrottle, throttle, now, settings) is { } wait)
            {
                audits.Add(AuditExtensions.Event(now, orgId, AuditActions.ResendThrottled, actor, user.Id, $"retry after {Math.Ceiling(wait.TotalSeconds)} s", db.CorrelationId));
                outcomes.Add(new UserResendOutcome(id, ResendStatus.Throttled, user.Username));
                continue;
            }

            counters.Add(ResendThrottling.NextAdmin(throttle, orgId, user.NormalizedUsername, now));
            if (!user.IsActive || user.IsRegistered)
            {
                var status = user.IsRegistered ? ResendStatus.AlreadyRegistered : ResendStatus.Deactivated;
                audits.Add(AuditExtensions.Event(now, orgId, AuditActions.ResendSkipped, actor, user.Id, status.ToString(), db.CorrelationId));
                outcomes.Add(new UserResendOutcome(id, status, user.Username));
                continue;
            }

            toSend.Add((user.Id, user.Username));
            outcomes.Add(new UserResendOutcome(id, ResendStatus.Sent, user.Username));
        }

        var sendIds = toSend.Select(u => u.Id).ToList();
        await InvalidateUnusedCodesAsync(db, sendIds, now);
        var issued = toSend.Select((u, i) => NewCode(orgId, u.Id, u.Email, actor, now, codes[i], db.CorrelationId)).ToList();

        await using (var insert = PreparedInsert<AdminResendThrottle>.Create(db, upsert: true))
        {
            await insert.InsertAsync(counters);
        }

        await using (var insert = PreparedInsert<RegistrationCode>.Create(db))
        {
            await insert.InsertAsync(issued.Select(i => i.Code));
        }

        await using (var insert = PreparedInsert<OutboxMessage>.Create(db))
        {
            await insert.InsertAsync(issued.Select(i => i.Email));
        }

        await using (var insert = PreparedInsert<AuditEvent>.Create(db))
        {
            await insert.InsertAsync(audits.Concat(issued.Select(i => i.Audit)));
        }

        return outcomes;
    }

    /// <summary>
    /// A new code's secrets, made before the write transaction: the writer's time goes to the database alone, and Data
    /// Protection may write a new key of its own without waiting behind the writer.
    /// </summary>
    public PreparedCode PrepareCode()
    {
        var code = RegistrationCodes.Generate();
        return new PreparedCode(hasher.Hash(code), _payloadProtector.Protect(code));
    }

    /// <summary>Invalidates every outstanding code of the user in the caller's unit of work; returns how many died.</summary>
    public static Task<int> InvalidateOutstandingCodesAsync(PortalDbContext db, string userId, DateTimeOffset now, string reason) =>
        db.RegistrationCodes
            .Where(c => c.UserId == userId && c.UsedAt == null && c.InvalidatedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.InvalidatedAt, now)
                .SetProperty(c => c.InvalidatedReason, reason));

    /// <summary>Invalidates every earlier unused code of the user, issues a new one, and queues its email, in the caller's unit of work.</summary>
    public async Task<DateTimeOffset> IssueCodeAsync(
        PortalDbContext db,
        string orgId,
        string userId,
        string email,
        Actor actor,
        DateTimeOffset now,
        PreparedCode code,
        string invalidationReason = InvalidationReasons.Replaced,
        EmailKind kind = EmailKind.Code)
    {
        await InvalidateOutstandingCodesAsync(db, userId, now, invalidationReason);
        return AddCode(db, orgId, userId, email, actor, now, code, kind);
    }

    private static async Task InvalidateUnusedCodesAsync(PortalDbContext db, List<string> userIds, DateTimeOffset now)
    {
        if (userIds.Count > 0)
        {
            await db.RegistrationCodes
                .Where(c => userIds.Contains(c.UserId) && c.UsedAt == null && c.InvalidatedAt == null)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.InvalidatedAt, now)
                    .SetProperty(c => c.InvalidatedReason, InvalidationReasons.Replaced));
        }
    }

    /// <summary>Issues a new code (its earlier ones already invalidated) and queues its email, in the caller's unit of work.</summary>
    private DateTimeOffset AddCode(PortalDbContext db, string orgId, string userId, string email, Actor actor, DateTimeOffset now, PreparedCode code, EmailKind kind)
    {
        var issued = NewCode(orgId, userId, email, actor, now, code, db.CorrelationId, kind: kind);
        db.RegistrationCodes.Add(issued.Code);
        db.OutboxMessages.Add(issued.Email);
        db.AuditEvents.Add(issued.Audit);
        return issued.Code.ExpiresAt;
    }

    /// <summary>The rows of a new code: the code, its email in the outbox, and its audit event.</summary>
    private IssuedCode NewCode(string orgId, string userId, string email, Actor actor, DateTimeOffset now, PreparedCode code, string? correlationId, string? traceParent = null, EmailKind kind = EmailKind.Code)
    {
        var expiresAt = now + options.CurrentValue.CodeLifetime;
        var entity = new RegistrationCode
        {
            Id = Guid.CreateVersion7(now),
            OrgId = orgId,
            UserId = userId,
            CodeHash = code.Hash,
            CreatedAt = now,
            ExpiresAt = expiresAt,
            IssuedThrough = actor.Kind,
            IssuedBy = actor.Id,
        };
        var message = OutboxMessage.Queued(now, orgId, userId, kind, email, code.ProtectedPayload, entity.Id, traceParent);
        return new IssuedCode(entity, message, AuditExtensions.Event(now, orgId, AuditActions.CodeSent, actor, userId, $"through {actor.Kind}, expires {expiresAt:O}", correlationId));
    }

    private sealed record IssuedCode(RegistrationCode Code, OutboxMessage Email, AuditEvent Audit);
}
