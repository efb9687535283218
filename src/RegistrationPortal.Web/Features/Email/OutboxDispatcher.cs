using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>
/// Sends queued mail: picks due outbox rows, skips those whose code was superseded, sends the rest over one
/// transport session per batch, and records each result. Failures retry with exponential backoff until
/// <see cref="EmailOptions.MaxAttempts"/>. A stopping host finishes the message in hand and leaves the rest queued.
/// </summary>
public sealed class OutboxDispatcher(
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    IEmailTransport transport,
    IOutboxCodes codes,
    RegistrationEmail composer,
    AccountEmail accountComposer,
    IDataProtectionProvider dataProtection,
    EmailSignal signal,
    RequestLoad load,
    DispatcherHeartbeat heartbeat,
    TimeProvider time,
    IOptionsMonitor<EmailOptions> options,
    PortalTelemetry telemetry,
    PortalDatabase database,
    WalCheckpointer checkpointer,
    IHostApplicationLifetime lifetime,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly Actor Dispatcher = Actor.Operator("email-dispatcher");

    /// <summary>
    /// How old a batch's reading of its codes may grow before the codes of the messages still to send are read again: a
    /// code replaced while its message waited behind slow sends is then not mailed (the newer code's email waits for
    /// this batch's claim on the person to end, and the person gets only the email whose code works).
    /// </summary>
    internal static readonly TimeSpan CodeRecheck = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a sender that yielded to the requests looks again whether the host is still busy.</summary>
    internal static readonly TimeSpan YieldCheck = TimeSpan.FromMilliseconds(250);

    private DeliveryRecorder? _deliveries;

    private int _yielding;

    private int _erasedSinceScrub;
    private long _lastScrubTimestamp;

    private readonly IDataProtector _protector = dataProtection.CreateProtector(OutboxPayload.Purpose);

    private readonly IDataProtector _accountProtector = dataProtection.CreateProtector(AccountEmailContent.Purpose);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.DispatcherEnabled)
        {
            logger.LogInformation("Email dispatcher is disabled; messages stay queued");
            return;
        }

        // Several senders, each with its own batch and SMTP session: one session sends a message at a time, waiting on
        // the server's answers, so one sender cannot keep up with the rate codes are issued at. A sender that finds a
        // full batch wakes another, so under load they all work and when idle all but one sleep; one that sent anything
        // looks again itself before it sleeps.
        // The host stops this service only after telling the application it is stopping, and other services' stops
        // may come first: from that first moment no new send starts, so none goes out after the message in hand.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        await Task.WhenAll(Enumerable.Range(0, options.CurrentValue.Senders).Select(sender => SendAsync(sender, stopping.Token)));
    }

    /// <summary>Senders waiting for the host to be quiet again (see <see cref="EmailOptions.SendersUnderLoad"/>).</summary>
    public int Yielding => Volatile.Read(ref _yielding);

    private async Task SendAsync(int sender, CancellationToken stoppingToken)
    {
        var woken = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            heartbeat.Beat(time.GetUtcNow());
            if (sender >= options.CurrentValue.SendersUnderLoad && load.Busy)
            {
                // The host is busy answering requests: this sender leaves the cores to them, and a wake-up it took
                // to a sender that goes on sending. The mail it would have sent waits, and goes out once it is quiet.
                if (woken)
                {
                    signal.Notify();
                    woken = false;
                }

                if (!await YieldAsync(stoppingToken))
                {
                    break;
                }

                continue;
            }

            woken = false;
            var claimed = 0;
            try
            {
                claimed = await DispatchDueAsync(stoppingToken);
                await ScrubErasedPayloadsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Email dispatch pass failed; retrying after the poll interval");
            }

            if (claimed >= options.CurrentValue.BatchSize)
            {
                signal.Notify();
            }

            if (claimed > 0)
            {
                // Another pass at once: more may be due, among them a person's next code mail, which waited while this
                // pass held an earlier one.
                continue;
            }

            try
            {
                woken = await signal.WaitAsync(options.CurrentValue.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Waits <see cref="YieldCheck"/>, counted as yielding meanwhile; false when the host is stopping.</summary>
    private async Task<bool> YieldAsync(CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _yielding);
        try
        {
            await Task.Delay(YieldCheck, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _yielding);
        }
    }

    /// <summary>
    /// One pass over the due messages; returns how many it claimed. The batch is claimed in one write first (on
    /// PostgreSQL, rows another dispatcher is claiming at that moment are passed over), so every message has at most
    /// one dispatcher at a time; each result is recorded only under this pass's claim.
    /// </summary>
    public async Task<int> DispatchDueAsync(CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        await using (var peek = await contexts.CreateDbContextAsync(stoppingToken))
        {
            // Most passes find nothing due: they cost a read, not a write.
            if (!await peek.OutboxMessages.AnyAsync(m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now, stoppingToken))
            {
                return 0;
            }
        }

        var claim = Guid.NewGuid();
        var claimedUntil = now + settings.ClaimLease;
        var ids = await writes.ExecuteAsync(async db =>
        {
            // A person's code mails go one at a time, whichever host sends them: one waits while another is claimed and
            // its claim has not lapsed. Otherwise two codes issued moments apart could be mailed side by side, and the
            // older reach the person last, carrying a code already replaced. Once the other is sent, this one's code is
            // read as it is then, so a mail whose code was replaced meanwhile is superseded, not sent. Only a pending row
            // holds a claim (every other status clears it); saying so is how PostgreSQL reads the claimed rows once,
            // through the status index (without it, it reads the whole table), while SQLite, told, walks that index
            // for every candidate instead of looking up the person's few rows.
            var claims = database.IsSqlite ? db.OutboxMessages : db.OutboxMessages.Where(o => o.Status == OutboxStatus.Pending);
            claims = claims.Where(o => o.CodeId != null && o.ClaimToken != null && o.NextAttemptAt > now);
            var due = await db.OutboxMessages
                .Where(m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now)
                .Where(m => m.CodeId == null || !claims.Any(o => o.UserId == m.UserId))
                .OrderBy(m => m.NextAttemptAt)
                .Select(m => m.Id)
                .Take(settings.BatchSize)
                .ForUpdateSkipLocked()
                .ToListAsync();
            // Row by row, each found by its key alone: one UPDATE naming the whole list was planned as a walk through
            // every pending message (the status index), 8 to 16 ms a claim with a backlog of thousands, and so was this
            // one while it also named the status and time (PostgreSQL keeps the plan it made for its first runs, when
            // the table was small). The rows are this write's already: read under the same conditions in this
            // transaction, and locked (PostgreSQL) or with no other writer (SQLite). On PostgreSQL the rows' statements
            // go to the server together, in one round trip.
            var take = db.Command(
                """UPDATE "OutboxMessages" SET "NextAttemptAt" = @until, "ClaimToken" = @claim WHERE "Id" = @id""",
                ("@until", typeof(long)),
                ("@claim", typeof(Guid)),
                ("@id", typeof(Guid)));
            take.Parameters[0].Value = PortalDbContext.StoredTime(claimedUntil);
            take.Parameters[1].Value = claim;
            await db.RunEachAsync(take, due, static (values, id) => values[2].Value = id);
            return due;
        });
        if (ids.Count == 0)
        {
            return 0;
        }

        List<DueMessage> claimed;
        try
        {
            await using var db = await contexts.CreateDbContextAsync(stoppingToken);
            // Inlined into the query below as subqueries, as if the codes' table were named here.
            var codeStates = codes.States(db);
            claimed = await (
                from m in db.OutboxMessages
                where ids.Contains(m.Id) && m.ClaimToken == claim
                // An admin's email (no code) may come from a platform admin, who has no organization.
                join o in db.Organizations on m.OrgId equals o.Id into orgs
                from o in orgs.DefaultIfEmpty()
                orderby m.CreatedAt, m.Id
                select new DueMessage(
                    m.Id,
                    claim,
                    m.OrgId,
                    m.UserId,
                    m.ToAddress,
                    m.ProtectedPayload,
                    m.Attempts,
                    m.TraceParent,
                    m.Kind,
                    m.CodeId,
                    db.OrgUsers.Where(u => u.Id == m.UserId).Select(u => u.Language).FirstOrDefault(),
                    o == null ? "" : o.Name,
                    codeStates.Where(c => c.Id == m.CodeId).Select(c => (DateTimeOffset?)c.ExpiresAt).FirstOrDefault(),
                    codeStates.Any(c => c.Id == m.CodeId && c.Outstanding)))
                .ToListAsync(stoppingToken);
        }
        catch
        {
            // The claim is committed: given back, its messages (and the people's next code mails, which wait on them)
            // are due again now rather than when it lapses.
            await ReleaseAsync(claim);
            throw;
        }

        // While the pass sends, its claim is renewed, so a slow server (each SMTP step may take up to the timeout) does
        // not let another dispatcher take over a message still being sent: it would send it again, or supersede it
        // and send the person's newer code, which the slow server could then deliver first. A send begun this close to
        // the claim's end (as last renewed) might still be under way if the renewals stopped (the database failing).
        var margin = TimeSpan.FromTicks(Math.Min(settings.Smtp.Timeout.Ticks, settings.ClaimLease.Ticks / 2));
        var lease = new Lease(claimedUntil);
        using var renewing = new CancellationTokenSource();
        var renewals = RenewAsync(claim, ids, lease, settings.ClaimLease, renewing.Token);
        var handled = 0;
        var erased = 0;
        IEmailSession? session = null;

        // Each result is queued for the writer as soon as it is known and the next message is sent meanwhile, so the
        // sends never wait for a commit. Deliveries from every sender are recorded together (see DeliveryRecorder):
        // one write for many.
        var results = new List<Task>(claimed.Count);
        var deliveries = LazyInitializer.EnsureInitialized(ref _deliveries, () => new DeliveryRecorder(MarkSentAsync));
        var codesReadAt = time.GetTimestamp();
        HashSet<Guid>? outstanding = null; // once read again: the codes still outstanding of the messages still to send
        try
        {
            for (var i = 0; i < claimed.Count; i++)
            {
                var message = claimed[i];
                if (stoppingToken.IsCancellationRequested || time.GetUtcNow() >= lease.Until - margin)
                {
                    break;
                }

                if (message.CodeId is not null && message.CodeStillValid && time.GetElapsedTime(codesReadAt) >= CodeRecheck)
                {
                    outstanding = await OutstandingCodesAsync(claimed.Skip(i), stoppingToken);
                    codesReadAt = time.GetTimestamp();
                }

                handled++;

                // The delivery continues the trace of the request that queued it, so its logs and audit events carry
                // that request's correlation id.
                Activity.Current = null;
                using var span = PortalTelemetry.StartActivity("email.send", ActivityKind.Producer, ParentOf(message.TraceParent))
                    .SetTag("portal.outbox.message_id", message.Id.ToString())
                    .SetTag("portal.user_id", message.UserId);
                // A sample for an admin carries no one's code: it expires, as it says, a day after it is sent. An email to
                // an admin (a password reset) carries no code at all.
                var account = message.Kind == EmailKind.Account;
                var sample = message.Kind is EmailKind.InvitationSample or EmailKind.CodeSample;
                var expiresAt = sample ? now.AddDays(1) : message.ExpiresAt ?? default;
                var codeStillValid = message.CodeStillValid && (outstanding is null || message.CodeId is not { } id || outstanding.Contains(id));
                if (message.ProtectedPayload is null || (!sample && !account && (!codeStillValid || message.ExpiresAt is null || expiresAt <= now)))
                {
                    results.Add(MarkSupersededAsync(message));
                    erased++;
                    continue;
                }

                try
                {
                    // Disposed once sent: a MIME message not disposed is left to its finalizer, so every message sent
                    // outlived the next collection, and under load each collection became a generation-1 one, pausing
                    // every request several milliseconds.
                    using var mime = account
                        ? accountComposer.Compose(message.ToAddress, AccountEmailContent.Unprotect(_accountProtector, message.ProtectedPayload), message.Id)
                        : composer.Compose(new RegistrationEmailContent(message.ToAddress, message.OrgId, message.OrganizationName, _protector.Unprotect(message.ProtectedPayload), expiresAt, message.Language, message.Kind), message.Id);

                    // Once started, a send is finished even when the host is stopping: nothing is half sent.
                    session ??= await transport.OpenAsync(CancellationToken.None);
                    await session.SendAsync(mime, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // The exception's type only: a server's refusal text may quote the recipient's address.
                    logger.LogWarning("Delivery of message {MessageId} to user {UserId} failed (attempt {Attempt}): {ErrorType}", message.Id, message.UserId, message.Attempts + 1, ex.GetType().Name);
                    span.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                    if (session is not null)
                    {
                        await session.DisposeAsync();
                        session = null;
                    }

                    // Gives up at the last attempt (unless the claim lapsed meanwhile, which the mark logs).
                    var gaveUp = message.Attempts + 1 >= settings.MaxAttempts;
                    results.Add(MarkFailedAttemptAsync(message, ex, settings));
                    telemetry.DeliveryAttempt(sent: false, gaveUp);
                    if (gaveUp)
                    {
                        erased++;
                    }

                    continue;
                }

                results.Add(deliveries.Add(message, PortalTelemetry.CurrentCorrelationId()));
                erased++;
                telemetry.DeliveryAttempt(sent: true, gaveUp: false);
            }
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }

            await renewing.CancelAsync();
            await renewals;

            // This pass's deliveries go in the next write without waiting out the gathering.
            deliveries.Flush();
            var recorded = false;
            try
            {
                await Task.WhenAll(results);
                recorded = true;
            }
            finally
            {
                // The payloads erased are counted for the scrub once their writes are done, not when queued: counted
                // before, a scrub by another sender in between could truncate the WAL before they committed and reset
                // the count, and the last erased payload would wait in the WAL for the next one.
                if (erased > 0)
                {
                    Interlocked.Add(ref _erasedSinceScrub, erased);
                }

                // What the pass did not get to, or could not record, is given back: due now, for any dispatcher (a
                // message sent whose record failed goes again: at least once).
                if (handled < claimed.Count || !recorded)
                {
                    await ReleaseAsync(claim);
                }
            }
        }

        return ids.Count;
    }

    /// <summary>
    /// On SQLite, once payloads were erased: asks for a checkpoint that copies the WAL into the file and truncates it. The
    /// erasing writes overwrote the payloads in their pages (<c>secure_delete</c>), but the WAL still holds the pages as
    /// they were before, payload and all, until a checkpoint lets it be cut back. Spaced out, as a checkpoint holds writers
    /// back while it runs; it hardly waits (<see cref="WalCheckpointer.BusyTimeoutMilliseconds"/>), and runs at most every
    /// <see cref="EmailOptions.ScrubInterval"/>. A busy one is tried again on a later pass.
    /// </summary>
    private async Task ScrubErasedPayloadsAsync(CancellationToken ct)
    {
        if (!database.IsSqlite || Volatile.Read(ref _erasedSinceScrub) == 0
            || (Interlocked.Read(ref _lastScrubTimestamp) is var last && last != 0 && time.GetElapsedTime(last) < options.CurrentValue.ScrubInterval)
            || Interlocked.CompareExchange(ref _lastScrubTimestamp, time.GetTimestamp(), last) != last)
        {
            // Nothing erased, scrubbed moments ago, or another sender took this turn.
            return;
        }

        var erased = Interlocked.Exchange(ref _erasedSinceScrub, 0);
        bool done;
        try
        {
            done = await checkpointer.TruncateAsync(ct);
            if (!done)
            {
                logger.LogDebug("The WAL checkpoint after erasing payloads was held back by a reader or a writer; it is tried again on a later pass");
            }
        }
        catch (System.Data.Common.DbException ex)
        {
            logger.LogWarning("The WAL checkpoint after erasing payloads failed ({ErrorType}); it is tried again on a later pass", ex.GetType().Name);
            done = false;
        }

        if (!done)
        {
            Interlocked.Add(ref _erasedSinceScrub, erased);
        }
    }

    /// <summary>A write of the dispatcher's own bookkeeping failed: the database, or the writer shutting down with the host.</summary>
    private static bool WriteFailed(Exception ex) => ex is InvalidOperationException or DbUpdateException or System.Data.Common.DbException;

    /// <summary>The end of a pass's claim, as last renewed.</summary>
    private sealed class Lease(DateTimeOffset until)
    {
        private long _untilTicks = until.UtcTicks;

        public DateTimeOffset Until
        {
            get => new(Interlocked.Read(ref _untilTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _untilTicks, value.UtcTicks);
        }
    }

    /// <summary>
    /// Every third of the lease, until <paramref name="ct"/> ends the pass, extends the claim on the pass's messages
    /// still held (pending, under this claim) to a whole lease from now. Stops when none is held any more; a renewal
    /// the database fails is logged, and the pass stops starting sends as the claim it last renewed nears its end.
    /// </summary>
    private async Task RenewAsync(Guid claim, List<Guid> ids, Lease lease, TimeSpan leaseLength, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(leaseLength / 3, time, ct);
                var until = time.GetUtcNow() + leaseLength;
                var held = await writes.ExecuteAsync(db => db.OutboxMessages
                    .Where(m => ids.Contains(m.Id) && m.ClaimToken == claim && m.Status == OutboxStatus.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, until)));
                if (held == 0)
                {
                    return;
                }

                lease.Until = until;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (WriteFailed(ex))
        {
            logger.LogWarning("Renewing a batch's claim failed ({ErrorType}); the batch stops starting sends before the claim it last renewed ends", ex.GetType().Name);
        }
    }

    /// <summary>Of these messages' codes, those neither used nor invalidated now.</summary>
    private async Task<HashSet<Guid>> OutstandingCodesAsync(IEnumerable<DueMessage> messages, CancellationToken ct)
    {
        var ids = messages.Select(m => m.CodeId).OfType<Guid>().Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(ct);
        return (await codes.States(db).Where(c => ids.Contains(c.Id) && c.Outstanding).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
    }

    /// <summary>Gives back what this pass claimed and did not get to (a stopping host, a claim running out): due now, for any dispatcher.</summary>
    private async Task ReleaseAsync(Guid claim)
    {
        try
        {
            var at = time.GetUtcNow();
            await writes.ExecuteAsync(db => db.OutboxMessages
                .Where(m => m.ClaimToken == claim && m.Status == OutboxStatus.Pending)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.NextAttemptAt, at)
                    .SetProperty(m => m.ClaimToken, (Guid?)null)));
        }
        catch (Exception ex) when (WriteFailed(ex))
        {
            // The claim lapses by itself.
            logger.LogWarning("Could not release claimed messages ({ErrorType}); they are due again when the claim lapses", ex.GetType().Name);
        }
    }

    /// <summary>
    /// Records the deliveries of every pass and sender together, without holding the sends up. A write takes everything
    /// sent in the <see cref="Gather"/> after the first delivery waiting (or fewer, when <see cref="MaxPerWrite"/> are
    /// waiting or a pass ends). On SQLite each commit writes every page it touched in full to the WAL: the message's row,
    /// its three status indexes, the audit table and its six indexes. Written one or two deliveries a commit, as the four
    /// senders' own writes were, that was about 47 <c>pwrite</c>s a mail (15 gathered), the largest part of the host's CPU
    /// per mail. A crash re-sends what was sent but not yet recorded (at most the gathering's worth; the Message-ID is the
    /// same, so mail clients fold the two), as it always re-sent the message in flight: delivery is at least once.
    /// </summary>
    private sealed class DeliveryRecorder(Func<List<(DueMessage Message, string? CorrelationId)>, Task> record)
    {
        public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(20);
        public const int MaxPerWrite = 100;

        private readonly Lock _gate = new();
        private List<(DueMessage Message, string? CorrelationId)> _waiting = [];
        private TaskCompletionSource _recorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _cutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _running;

        /// <summary>Queues a delivery; the task completes once the write that records it commits (or fails with its error).</summary>
        public Task Add(DueMessage message, string? correlationId)
        {
            lock (_gate)
            {
                _waiting.Add((message, correlationId));
                if (!_running)
                {
                    _running = true;
                    _ = Task.Run(WriteAsync);
                }
                else if (_waiting.Count >= MaxPerWrite)
                {
                    _cutShort.TrySetResult();
                }

                return _recorded.Task;
            }
        }

        /// <summary>Writes what is waiting now, without waiting out the gathering.</summary>
        public void Flush()
        {
            lock (_gate)
            {
                if (_waiting.Count > 0)
                {
                    _cutShort.TrySetResult();
                }
            }
        }

        private async Task WriteAsync()
        {
            while (true)
            {
                Task cutShort;
                lock (_gate)
                {
                    cutShort = _cutShort.Task;
                }

                // The host's clock, not the portal's TimeProvider: this paces writes, it decides nothing.
                await Task.WhenAny(cutShort, Task.Delay(Gather));
                List<(DueMessage, string?)> batch;
                TaskCompletionSource recorded;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _running = false;
                        return;
                    }

                    (batch, _waiting) = (_waiting, []);
                    (recorded, _recorded) = (_recorded, new(TaskCreationOptions.RunContinuationsAsynchronously));
                    _cutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                try
                {
                    await record(batch);
                    recorded.SetResult();
                }
                catch (Exception ex)
                {
                    recorded.SetException(ex);
                }
            }
        }
    }

    /// <summary>
    /// Records deliveries under this pass's claim: one kept statement run per message, in one round trip on PostgreSQL
    /// (<see cref="PortalDbContext.RunEachAsync"/>; a message whose claim lapsed meanwhile
    /// is left to whoever holds it now, and logged) and the audit events as prepared inserts. Under load this runs for
    /// every few mails in the single writer, so it is written by hand, like the public doors' statements.
    /// </summary>
    private Task<int> MarkSentAsync(List<(DueMessage Message, string? CorrelationId)> delivered) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        var mark = db.Command(
            """
            UPDATE "OutboxMessages" SET "Status" = @sent, "SentAt" = @at, "LastAttemptAt" = @at, "Attempts" = "Attempts" + 1,
                "ProtectedPayload" = NULL, "ClaimToken" = NULL
            WHERE "Id" = @id AND "ClaimToken" = @claim
            """,
            ("@sent", typeof(string)),
            ("@at", typeof(long)),
            ("@id", typeof(Guid)),
            ("@claim", typeof(Guid)));
        mark.Parameters[0].Value = nameof(OutboxStatus.Sent);
        mark.Parameters[1].Value = PortalDbContext.StoredTime(at);
        var marked = await db.RunEachAsync(mark, delivered, static (values, d) => (values[2].Value, values[3].Value) = (d.Message.Id, d.Message.Claim));
        var audits = new List<AuditEvent>(delivered.Count);
        for (var i = 0; i < delivered.Count; i++)
        {
            var (message, correlationId) = delivered[i];
            if (marked[i] == 1)
            {
                audits.Add(AuditExtensions.Event(at, message.OrgId, AuditActions.EmailDelivered, Dispatcher, message.UserId, correlationId: correlationId));
            }
            else
            {
                LostClaim(message);
            }
        }

        await using (var insert = PreparedInsert<AuditEvent>.Create(db))
        {
            await insert.InsertAsync(audits);
        }

        return audits.Count;
    });

    private Task<bool> MarkSupersededAsync(DueMessage message) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        var marked = await Claimed(db, message).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, OutboxStatus.Superseded)
            .SetProperty(m => m.ProtectedPayload, (string?)null)
            .SetProperty(m => m.ClaimToken, (Guid?)null));
        if (marked == 0)
        {
            LostClaim(message);
            return false;
        }

        db.Audit(at, message.OrgId, AuditActions.EmailSuperseded, Dispatcher, message.UserId, "code replaced, used or expired before sending");
        return true;
    });

    private Task<bool> MarkFailedAttemptAsync(DueMessage message, Exception error, EmailOptions settings) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        var attempts = message.Attempts + 1;
        var givingUp = attempts >= settings.MaxAttempts;
        var text = $"{error.GetType().Name}: {error.Message}";
        var lastError = text.Length > 500 ? text[..500] : text;
        var marked = await Claimed(db, message).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Attempts, attempts)
            .SetProperty(m => m.LastAttemptAt, at)
            .SetProperty(m => m.LastError, lastError)
            .SetProperty(m => m.NextAttemptAt, at + settings.RetryDelay(attempts))
            .SetProperty(m => m.Status, givingUp ? OutboxStatus.Failed : OutboxStatus.Pending)
            .SetProperty(m => m.ProtectedPayload, givingUp ? null : message.ProtectedPayload)
            .SetProperty(m => m.ClaimToken, (Guid?)null));
        if (marked == 0)
        {
            LostClaim(message);
            return false;
        }

        if (givingUp)
        {
            db.Audit(at, message.OrgId, AuditActions.EmailFailed, Dispatcher, message.UserId, $"gave up after {attempts} attempts");
        }

        return givingUp;
    });

    /// <summary>The message, as long as this pass's claim on it holds: results are recorded only through it.</summary>
    private static IQueryable<OutboxMessage> Claimed(PortalDbContext db, DueMessage message) =>
        db.OutboxMessages.Where(m => m.Id == message.Id && m.ClaimToken == message.Claim);

    /// <summary>The claim lapsed and another dispatcher took the message over: its result is theirs to record.</summary>
    private void LostClaim(DueMessage message) =>
        logger.LogWarning("The claim on message {MessageId} lapsed before its result was recorded; another dispatcher has taken it over", message.Id);

    private static ActivityContext ParentOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent) ? parent : default;

    private sealed record DueMessage(
        Guid Id,
        Guid Claim,
        string OrgId,
        string UserId,
        string ToAddress,
        string? ProtectedPayload,
        int Attempts,
        string? TraceParent,
        EmailKind Kind,
        Guid? CodeId,
        string? Language,
        string OrganizationName,
        DateTimeOffset? ExpiresAt,
        bool CodeStillValid);
}

/// <summary>When the dispatcher last went round its loop, for <c>/healthz</c>.</summary>
public sealed class DispatcherHeartbeat
{
    private long _lastBeatTicks;

    public DateTimeOffset? LastBeat => Interlocked.Read(ref _lastBeatTicks) is var t && t == 0 ? null : new DateTimeOffset(t, TimeSpan.Zero);

    public void Beat(DateTimeOffset at) => Interlocked.Exchange(ref _lastBeatTicks, at.UtcTicks);
}

public sealed class DispatcherHealthCheck(DispatcherHeartbeat heartbeat, TimeProvider time, IOptionsMonitor<EmailOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        if (!settings.DispatcherEnabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("disabled by configuration"));
        }

        // A pass may legitimately take a while (a slow SMTP server); only a long silence is unhealthy.
        var limit = settings.PollInterval * 3 + (settings.Smtp.Timeout * settings.BatchSize);
        return Task.FromResult(heartbeat.LastBeat is { } last && time.GetUtcNow() - last <= limit
            ? HealthCheckResult.Healthy("running")
            : HealthCheckResult.Unhealthy("not running"));
    }
}
