using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Data.Postgres;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// How the dispatcher works through a backlog: a queue left by a host without a dispatcher is sent in several batches
/// without waiting for any claim to lapse, even with a claim lease shorter than the SMTP timeout; of several codes
/// issued to one person before anything was sent, only the newest one's email goes out, the others audited as superseded;
/// and a code replaced while its message waits in a batch behind a slow send is not mailed.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="DispatcherTestsOnSqlite"/> and <see cref="DispatcherTestsOnPostgres"/>.</remarks>
public abstract class DispatcherTests
{
    protected abstract DatabaseProvider Provider { get; }

    /// <summary>
    /// Seven messages queued by a host whose dispatcher is off (it says so in its log, and sends nothing), then sent by
    /// another in batches of two, one sender. Each batch claims only its own two messages: the rest stay due, not held
    /// for a lease, so all arrive well within the 20-second wait even when a claim lasts an hour; a batch that claimed
    /// the whole queue would leave the rest to lapse first. With a 4-second claim against the 5-second SMTP timeout a
    /// send still starts in the second before the claim ends; one that reserved the whole SMTP timeout out of a 4-second
    /// claim would send nothing.
    /// </summary>
    [Theory]
    [InlineData("00:00:04")]
    [InlineData("01:00:00")]
    public async Task A_backlog_goes_out_batch_by_batch_without_waiting_for_claims_to_lapse(string claimLease)
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var data = new SharedDataDirectory("regportal-backlog-", Provider);
        var emails = Enumerable.Range(0, 7).Select(i => PortalFactory.NewEmail($"backlog{i}")).ToList();
        var log = new ErrorLog(LogLevel.Information);
        await using (var queueing = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:DispatcherEnabled"] = "false",
                [$"Logging:LogLevel:{typeof(OutboxDispatcher).FullName}"] = "Information",
            },
            services: s => s.AddSingleton<ILoggerProvider>(log),
            dataDirectory: data.Path,
            provider: Provider))
        {
            var orgId = await queueing.CreateOrganizationAsync();
            foreach (var email in emails)
            {
                await queueing.InviteAsync(orgId, email);
            }
        }

        Assert.Single(log.Entries, $"Information {typeof(OutboxDispatcher).FullName}: Email dispatcher is disabled; messages stay queued ");
        Assert.Empty(smtp.Messages());

        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:BatchSize"] = "2",
                ["Email:Senders"] = "1",
                ["Email:ClaimLease"] = claimLease,
                ["Email:PollInterval"] = "00:00:30",
            },
            dataDirectory: data.Path,
            provider: Provider);
        _ = sending.Server;

        foreach (var email in emails)
        {
            Assert.Single(await smtp.WaitForMessagesAsync(email));
        }

        await Wait.WaitUntilAsync(
            async () => await sending.WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.Status == OutboxStatus.Sent && m.ClaimToken == null && m.ProtectedPayload == null)),
            "every message is marked sent, its claim and its secret gone");
    }

    /// <summary>
    /// A batch goes out over one SMTP session, which ends with QUIT. A message the server refuses ends its session, and
    /// the next message opens a new one: the rest of the batch is delivered at its first attempt.
    /// </summary>
    [Fact]
    public async Task A_batch_shares_one_smtp_session_ended_with_quit_and_a_refusal_starts_a_new_one()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-session-", Provider);
        var emails = Enumerable.Range(0, 5).Select(i => PortalFactory.NewEmail($"session{i}")).ToList();
        var refused = emails[1];
        smtp.SetRule(refused, SmtpRule.RefuseData);
        var refusedUserId = "";
        await using (var queueing = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider))
        {
            var orgId = await queueing.CreateOrganizationAsync();
            foreach (var email in emails)
            {
                var userId = await queueing.InviteAsync(orgId, email);
                if (email == refused)
                {
                    refusedUserId = userId;
                }
            }
        }

        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:BatchSize"] = "10",
                ["Email:Senders"] = "1",
                ["Email:MaxAttempts"] = "1",
                ["Email:PollInterval"] = "00:00:30",
            },
            dataDirectory: data.Path,
            provider: Provider);
        _ = sending.Server;

        foreach (var email in emails.Where(e => e != refused))
        {
            Assert.Single(await smtp.WaitForMessagesAsync(email));
        }

        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(refusedUserId), "the refused message has failed");
        await Wait.WaitUntilAsync(() => Task.FromResult(smtp.Events().Count(e => e.Command == "QUIT") == 2), "both sessions end with QUIT");

        // The sessions as the server saw them: each greeting, the recipients named in it, its goodbye.
        var sessions = new List<List<string>>();
        foreach (var e in smtp.Events().Where(e => e.Command is "EHLO" or "RCPT" or "QUIT"))
        {
            if (e.Command == "EHLO")
            {
                sessions.Add([]);
            }
            else
            {
                sessions[^1].Add(e.Command == "RCPT" ? e.Address : e.Command);
            }
        }

        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s => Assert.Equal("QUIT", s[^1]));
        Assert.Equal(refused, sessions[0][^2], StringComparer.OrdinalIgnoreCase);
        Assert.Equal(emails.Select(e => e.ToLowerInvariant()).Order(), sessions.SelectMany(s => s.SkipLast(1)).Order());
        Assert.Equal(OutboxStatus.Failed, Assert.Single(await sending.OutboxAsync(refusedUserId)).Status);
    }

    /// <summary>
    /// A send that outlives its claim (the server holds its answer past the claim's end, and the claim's renewals fail,
    /// as when the database stops taking that write) is taken over by another sender, which sends the message again: it
    /// arrives twice, never more. It is recorded sent once, audited once, and the sender whose claim lapsed logs that the
    /// result was not its to record.
    /// </summary>
    [Fact]
    public async Task A_send_that_outlives_its_claim_is_taken_over_recorded_once_and_the_lapse_logged()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        var log = new ErrorLog(LogLevel.Warning);
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:Senders"] = "2",
                ["Email:ClaimLease"] = "00:00:04",
                ["Email:Smtp:Timeout"] = "00:00:30",
            },
            services: s => RenewalsFailing(s.AddSingleton<ILoggerProvider>(log)),
            provider: Provider);
        var orgId = await host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("outlived");
        smtp.SetRule(email, SmtpRule.HoldData);
        var userId = await host.InviteAsync(orgId, email);

        await Wait.WaitUntilAsync(
            () => Task.FromResult(smtp.Events().Count(e => e.Command == "DATA-HELD" && string.Equals(e.Address, email, StringComparison.OrdinalIgnoreCase)) == 2),
            "the message is sent a second time once the first send's claim has lapsed, and held too");
        smtp.SetRule(email, SmtpRule.Accept);

        Assert.Equal(2, (await smtp.WaitForMessagesAsync(email, 2)).Count);
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent, ClaimToken: null }], "the invitation is marked sent");
        var sent = Assert.Single(await host.OutboxAsync(userId));
        var lapsed = $"Warning {typeof(OutboxDispatcher).FullName}: The claim on message {sent.Id} lapsed before its result was recorded; another dispatcher has taken it over ";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(lapsed)), "the sender whose claim lapsed logs it");

        Assert.Equal(1, sent.Attempts);
        Assert.Single(await host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.SubjectId == userId && e.Action == AuditActions.EmailDelivered)
            .ToListAsync()));
        Assert.Single(log.Entries, e => e.Contains("lapsed", StringComparison.Ordinal));
        Assert.Equal(2, smtp.MessagesTo(email).Count);
    }

    /// <summary>
    /// A batch cut short by its claim's end (its renewals failing) gives back only what it claimed and did not get to: a
    /// message waiting an hour for its next attempt (its server deferred it) keeps waiting, while the batch's unsent
    /// message goes out at the next pass.
    /// </summary>
    [Fact]
    public async Task A_batch_cut_short_gives_back_only_its_own_messages_and_a_deferred_one_keeps_waiting()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-cut-short-", Provider);
        var deferred = PortalFactory.NewEmail("waiting");
        var held = PortalFactory.NewEmail("held");
        var next = PortalFactory.NewEmail("next");
        var settings = new Dictionary<string, string?>
        {
            ["Email:RetryBaseDelay"] = "01:00:00",
            ["Email:RetryMaxDelay"] = "01:00:00",
            ["Email:Senders"] = "1",
            ["Email:ClaimLease"] = "00:00:04",
            ["Email:Smtp:Timeout"] = "00:00:30",
        };

        // The first message is deferred once and waits an hour; the other two are queued while nothing sends.
        smtp.SetRule(deferred, SmtpRule.DeferRcpt);
        string orgId;
        string deferredId;
        OutboxMessage waiting;
        await using (var first = new PortalFactory(smtp, settings, dataDirectory: data.Path, provider: Provider))
        {
            orgId = await first.CreateOrganizationAsync();
            deferredId = await first.InviteAsync(orgId, deferred);
            await Wait.WaitUntilAsync(async () => await first.OutboxAsync(deferredId) is [{ Attempts: 1, Status: OutboxStatus.Pending, ClaimToken: null }], "the first message is deferred and waits");
            waiting = Assert.Single(await first.OutboxAsync(deferredId));
        }

        string heldId;
        string nextId;
        await using (var queueing = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider))
        {
            heldId = await queueing.InviteAsync(orgId, held);
            nextId = await queueing.InviteAsync(orgId, next);
        }

        // One batch claims both; the server holds the first one's answer until its claim has ended, so the batch stops
        // there and gives the second back.
        smtp.SetRule(held, SmtpRule.HoldData);
        await using var sending = new PortalFactory(smtp, settings, services: s => RenewalsFailing(s), dataDirectory: data.Path, provider: Provider);
        _ = sending.Server;
        await sending.HoldPastClaimAsync(smtp, held, heldId);

        Assert.Single(await smtp.WaitForMessagesAsync(next));
        Assert.Single(smtp.MessagesTo(held));
        Assert.Equal(1, smtp.RecipientAttempts(deferred));
        var stillWaiting = Assert.Single(await sending.OutboxAsync(deferredId));
        Assert.Equal((OutboxStatus.Pending, 1, waiting.NextAttemptAt), (stillWaiting.Status, stillWaiting.Attempts, stillWaiting.NextAttemptAt));
        await Wait.WaitUntilAsync(async () => await sending.OutboxAsync(nextId) is [{ Status: OutboxStatus.Sent }], "the given-back message is marked sent");
    }

    /// <summary>
    /// Two mails delivered together while another dispatcher took one of them over (as when this one's claim lapsed):
    /// the deliveries are recorded together, and only the one this dispatcher still holds is marked sent; the other is
    /// left to whoever holds it now, audited by nobody here, and the lapse is logged.
    /// </summary>
    [Fact]
    public async Task Of_deliveries_recorded_together_only_those_still_held_are_marked_sent()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-taken-over-", Provider);
        var (taken, kept) = (PortalFactory.NewEmail("taken-over"), PortalFactory.NewEmail("still-held"));
        string takenId;
        string keptId;
        await using (var queueing = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider))
        {
            var orgId = await queueing.CreateOrganizationAsync();
            takenId = await queueing.InviteAsync(orgId, taken);
            keptId = await queueing.InviteAsync(orgId, kept);
        }

        // Each claimed by a sender of its own and held at the server, so that both deliveries end at once.
        smtp.SetRule(taken, SmtpRule.HoldData);
        smtp.SetRule(kept, SmtpRule.HoldData);
        var log = new ErrorLog(LogLevel.Warning);
        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:Senders"] = "2", ["Email:BatchSize"] = "1", ["Email:Smtp:Timeout"] = "00:00:30" },
            services: s => s.AddSingleton<ILoggerProvider>(log),
            dataDirectory: data.Path,
            provider: Provider);
        _ = sending.Server;
        await Wait.WaitUntilAsync(() => Task.FromResult(smtp.Events().Count(e => e.Command == "DATA-HELD") == 2), "both messages are held at the server");

        var other = Guid.NewGuid();
        await sending.WithDbAsync(db => db.OutboxMessages.Where(m => m.UserId == takenId).ExecuteUpdateAsync(m => m.SetProperty(x => x.ClaimToken, (Guid?)other)));
        smtp.SetRule(taken, SmtpRule.Accept);
        smtp.SetRule(kept, SmtpRule.Accept);

        await Wait.WaitUntilAsync(async () => await sending.OutboxAsync(keptId) is [{ Status: OutboxStatus.Sent }], "the message still held is marked sent");
        var messageId = Assert.Single(await sending.OutboxAsync(takenId)).Id;
        var lapsed = $"Warning {typeof(OutboxDispatcher).FullName}: The claim on message {messageId} lapsed before its result was recorded; another dispatcher has taken it over ";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(lapsed)), "the lost claim is logged");
        var takenOver = Assert.Single(await sending.OutboxAsync(takenId));
        Assert.Equal((OutboxStatus.Pending, other), (takenOver.Status, takenOver.ClaimToken));
        Assert.Equal(0, await sending.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == takenId && a.Action == AuditActions.EmailDelivered)));
        Assert.Equal(1, await sending.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == keptId && a.Action == AuditActions.EmailDelivered)));
    }

    /// <summary>
    /// Mail is due the moment it is queued: with the host's clock standing still, the invitation queued "now" is sent
    /// "now", not one tick later (which a still clock would never reach).
    /// </summary>
    [Fact]
    public async Task Mail_is_due_at_the_instant_it_is_queued()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        var time = StillClock.OnWholeMillisecond();
        await using var host = new PortalFactory(smtp, services: s => s.AddSingleton<TimeProvider>(time), provider: Provider);

        var (_, email, userId) = await host.CreatePendingUserAsync("still-clock");

        Assert.Single(await smtp.WaitForMessagesAsync(email));
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");
        Assert.Equal(time.GetUtcNow(), (await host.OutboxAsync(userId))[0].SentAt);
    }

    /// <summary>
    /// An email goes out only while its code still works: at the very instant the code expires the message is
    /// superseded, not sent, since its reader could not use the code.
    /// </summary>
    [Fact]
    public async Task An_email_whose_code_expires_at_the_instant_of_sending_is_superseded_not_sent()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var data = new SharedDataDirectory("regportal-expiring-", Provider);
        var time = StillClock.OnWholeMillisecond();
        var lifetime = new RegistrationOptions().CodeLifetime;
        string email;
        string userId;
        await using (var queueing = QueueingHost(smtp, time, data.Path))
        {
            (_, email, userId) = await queueing.CreatePendingUserAsync("expiring");
            Assert.Equal(time.GetUtcNow() + lifetime, Assert.Single(await queueing.ValidCodesAsync(userId)).ExpiresAt);
        }

        time.Advance(lifetime);
        await using var sending = new PortalFactory(smtp, services: s => s.AddSingleton<TimeProvider>(time), dataDirectory: data.Path, provider: Provider);
        _ = sending.Server;

        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(userId), "the invitation is resolved");
        Assert.Equal(OutboxStatus.Superseded, Assert.Single(await sending.OutboxAsync(userId)).Status);
        Assert.Empty(smtp.MessagesTo(email));
    }

    /// <summary>
    /// A code replaced while its message waits in a batch behind a slow send is not mailed: the batch reads its codes again
    /// before sending on, so the person gets the one email whose code works, not that one and then (or before it) one
    /// whose code no longer does.
    /// </summary>
    [Fact]
    public async Task A_code_replaced_while_its_message_waits_behind_a_slow_send_is_not_mailed()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-recheck-", Provider);
        var time = StillClock.OnWholeMillisecond();
        var slow = PortalFactory.NewEmail("slow");
        var waiting = PortalFactory.NewEmail("waiting");
        string orgId;
        string waitingId;
        await using (var queueing = QueueingHost(smtp, time, data.Path))
        {
            orgId = await queueing.CreateOrganizationAsync();
            await queueing.InviteAsync(orgId, slow);
            time.Advance(TimeSpan.FromMilliseconds(1));
            waitingId = await queueing.InviteAsync(orgId, waiting);
        }

        // One sender claims both invitations; the server holds its answer to the first while the second's code is replaced.
        smtp.SetRule(slow, SmtpRule.HoldData);
        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:Senders"] = "1" },
            services: s => s.AddSingleton<TimeProvider>(time),
            dataDirectory: data.Path,
            provider: Provider);
        _ = sending.Server;
        await Wait.WaitUntilAsync(
            () => Task.FromResult(smtp.Events().Any(e => e.Command == "DATA-HELD" && string.Equals(e.Address, slow, StringComparison.OrdinalIgnoreCase))),
            "the first invitation's send is held");
        var registration = sending.Services.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, waiting, Actor.Admin("recheck-admin", "127.0.0.1"))).Status);
        time.Advance(OutboxDispatcher.CodeRecheck);
        smtp.SetRule(slow, SmtpRule.Accept);

        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(waitingId), "every message to the second person is sent or superseded");
        var mail = Assert.Single(await smtp.WaitForMessagesAsync(waiting));
        Assert.True(sending.CodeMatches(mail.Code, Assert.Single(await sending.ValidCodesAsync(waitingId)).CodeHash), "the one email carries the code that works");
        var outbox = await sending.OutboxAsync(waitingId);
        Assert.Equal(OutboxStatus.Superseded, Assert.Single(outbox, m => m.Kind == EmailKind.Invitation).Status);
        Assert.Equal(OutboxStatus.Sent, Assert.Single(outbox, m => m.Kind == EmailKind.Code).Status);
        Assert.Single(await smtp.WaitForMessagesAsync(slow));
    }

    /// <summary>
    /// Two codes of one person issued moments apart: the new code's mail waits while the server is still taking the old
    /// one, whether the next pass is another sender's of the same host or another host's, so the person's last email
    /// carries the code that works. Sent at once, it would have arrived first, and the email with the replaced code after
    /// it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_codes_mail_waits_for_the_old_ones_send_to_end_so_the_last_email_carries_the_code_that_works(bool onAnotherHost)
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-in-order-", Provider);
        // No poll in the test's time: the new code's mail goes because the pass that sent the old one looks again.
        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:Senders"] = "2", ["Email:Smtp:Timeout"] = "00:00:30", ["Email:PollInterval"] = "00:10:00" },
            dataDirectory: data.Path,
            provider: Provider);
        var (orgId, email, userId) = await InviteWithFirstMailStalledAsync(smtp, sending, "in-order");

        // The new code is issued, and a pass over the due mail made, by the sending host or by a second one whose own
        // senders do not run (the pass below is the only one it makes).
        await using var other = onAnotherHost
            ? new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider)
            : null;
        var host = other ?? sending;
        var registration = host.Services.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("order-admin", "127.0.0.1"))).Status);
        Assert.Equal(0, await host.Services.GetRequiredService<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None));
        Assert.Empty(smtp.MessagesTo(email));

        smtp.SetRule(email, SmtpRule.Accept);
        var mails = await smtp.WaitForMessagesAsync(email, 2);
        var valid = Assert.Single(await sending.ValidCodesAsync(userId));
        Assert.True(sending.CodeMatches(mails[^1].Code, valid.CodeHash), "the last email carries the code that works");
        Assert.Equal(2, mails.Count);
        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(userId), "both mails are recorded as sent");
        Assert.All(await sending.OutboxAsync(userId), m => Assert.Equal(OutboxStatus.Sent, m.Status));
    }

    /// <summary>
    /// The server holds the old code's mail longer than the claim lasts (3 s here): the sending host renews its claim
    /// meanwhile, so a second host finds nothing to take (neither the old mail, still being sent, nor the new code's,
    /// which waits for it), and once the server answers, the person's last email carries the code that works and each
    /// mail went once.
    /// </summary>
    [Fact]
    public async Task A_send_slower_than_the_claim_keeps_its_claim_so_no_other_host_takes_the_persons_mail_over()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-renewed-", Provider);
        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:ClaimLease"] = "00:00:03", ["Email:Smtp:Timeout"] = "00:00:30", ["Email:PollInterval"] = "00:10:00" },
            dataDirectory: data.Path,
            provider: Provider);
        var (orgId, email, userId) = await InviteWithFirstMailStalledAsync(smtp, sending, "renewed");
        var first = Assert.Single(await sending.OutboxAsync(userId));

        await using var other = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider);
        var registration = other.Services.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("renewal-admin", "127.0.0.1"))).Status);
        await Wait.WaitUntilAsync(
            async () => DateTimeOffset.UtcNow > first.NextAttemptAt.AddSeconds(1)
                && (await other.OutboxAsync(userId)).Single(m => m.Id == first.Id).NextAttemptAt > DateTimeOffset.UtcNow,
            "the first claim's end has passed, and the claim still holds, renewed");
        Assert.Equal(0, await other.Services.GetRequiredService<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None));

        smtp.SetRule(email, SmtpRule.Accept);
        var mails = await smtp.WaitForMessagesAsync(email, 2);
        var valid = Assert.Single(await sending.ValidCodesAsync(userId));
        Assert.True(sending.CodeMatches(mails[^1].Code, valid.CodeHash), "the last email carries the code that works");
        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(userId), "both mails are recorded");
        Assert.Equal([OutboxStatus.Sent, OutboxStatus.Sent], (await sending.OutboxAsync(userId)).Select(m => m.Status).ToArray());
        Assert.Equal(2, smtp.MessagesTo(email).Count);
    }

    /// <summary>Invites a person whose first mail the server holds, received and not yet taken; returns once it is held.</summary>
    private static async Task<(string OrgId, string Email, string UserId)> InviteWithFirstMailStalledAsync(SmtpServer smtp, PortalFactory sending, string tag)
    {
        var orgId = await sending.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail(tag);
        smtp.SetRule(email, SmtpRule.StallFirstData);
        var userId = await sending.InviteAsync(orgId, email);
        await Wait.WaitUntilAsync(
            () => Task.FromResult(smtp.Events().Any(e => e.Command == "DATA-STALLED" && string.Equals(e.Address, email, StringComparison.OrdinalIgnoreCase))),
            "the invitation's mail has reached the server, which has not taken it yet");
        return (orgId, email, userId);
    }

    /// <summary>The host's renewals of its claims fail (<see cref="FailingStatements.ClaimRenewals"/>), on this provider's contexts.</summary>
    private IServiceCollection RenewalsFailing(IServiceCollection services) => Provider == DatabaseProvider.Postgres
        ? services.ConfigureDbContext<PostgresPortalDbContext>(o => o.AddInterceptors(FailingStatements.ClaimRenewals()))
        : services.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(FailingStatements.ClaimRenewals()));

    /// <summary>A host that queues mail and sends none, on <paramref name="time"/>, over the data in <paramref name="dataDirectory"/>.</summary>
    private PortalFactory QueueingHost(SmtpServer smtp, TimeProvider time, string dataDirectory) => new(
        smtp,
        new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" },
        services: s => s.AddSingleton(time),
        dataDirectory: dataDirectory,
        provider: Provider);

    [Fact]
    public async Task Of_codes_issued_before_anything_was_sent_only_the_newest_ones_email_goes_out_and_the_others_are_audited_as_superseded()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var data = new SharedDataDirectory("regportal-superseded-", Provider);
        string email;
        string userId;
        await using (var queueing = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider))
        {
            string orgId;
            (orgId, email, userId) = await queueing.CreatePendingUserAsync("superseded");
            var registration = queueing.Services.GetRequiredService<RegistrationService>();
            Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("backlog-admin", "127.0.0.1"))).Status);
            Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("backlog-admin", "127.0.0.1"))).Status);
        }

        await using var sending = new PortalFactory(smtp, dataDirectory: data.Path, provider: Provider);
        _ = sending.Server;

        var mail = Assert.Single(await smtp.WaitForMessagesAsync(email));
        Assert.True(sending.CodeMatches(mail.Code, Assert.Single(await sending.ValidCodesAsync(userId)).CodeHash), "the email carries the one valid code");
        await Wait.WaitUntilAsync(() => sending.OutboxDrainedAsync(userId), "every message is sent or superseded");
        var outbox = await sending.OutboxAsync(userId);
        Assert.Equal(
            [OutboxStatus.Superseded, OutboxStatus.Superseded, OutboxStatus.Sent],
            outbox.Select(m => m.Status).ToArray());
        Assert.All(outbox, m => Assert.Null(m.ProtectedPayload));

        var audits = await sending.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.SubjectId == userId && (e.Action == AuditActions.EmailSuperseded || e.Action == AuditActions.EmailDelivered))
            .Select(e => new { e.Action, e.ActorKind, e.ActorId, e.Details })
            .ToListAsync());
        Assert.Equal(2, audits.Count(a => a.Action == AuditActions.EmailSuperseded));
        Assert.All(audits.Where(a => a.Action == AuditActions.EmailSuperseded), a =>
            Assert.Equal(("System", "email-dispatcher", "code replaced, used or expired before sending"), (a.ActorKind, a.ActorId, a.Details)));
        Assert.Single(audits, a => a.Action == AuditActions.EmailDelivered);
        Assert.Single(smtp.MessagesTo(email));
    }

    /// <summary>
    /// While the host is busy with requests (two in flight, the configured mark), one sender of three sends and the two
    /// others wait, so the mail leaves the cores to the people waiting on an answer; mail still goes out meanwhile. Once
    /// the requests are answered the two others send too, while the first is still in its held send.
    /// </summary>
    [Fact]
    public async Task While_the_host_is_busy_with_requests_one_sender_sends_and_the_others_join_once_it_is_quiet()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:Senders"] = "3",
                ["Email:SendersUnderLoad"] = "1",
                ["Email:BusyRequests"] = "2",
                ["Email:BatchSize"] = "1",
                ["Email:Smtp:Timeout"] = "00:00:30",
            },
            provider: Provider);
        var orgId = await host.CreateOrganizationAsync();
        var emails = Enumerable.Range(0, 3).Select(i => PortalFactory.NewEmail($"busy{i}")).ToList();
        foreach (var email in emails)
        {
            smtp.SetRule(email, SmtpRule.HoldData);
        }

        // The host's own count of requests in flight, as two requests being answered leave it.
        var load = host.Services.GetRequiredService<RequestLoad>();
        var dispatcher = host.Services.GetRequiredService<OutboxDispatcher>();
        load.Enter();
        load.Enter();
        foreach (var email in emails)
        {
            await host.InviteAsync(orgId, email);
        }

        int Held() => smtp.Events().Count(e => e.Command == "DATA-HELD");
        await Wait.WaitUntilAsync(() => Held() == 1 && dispatcher.Yielding == 2, "one sender's send is held and the two others wait for the host to be quiet");
        Assert.Single(smtp.Events(), e => e.Command == "EHLO");

        load.Exit();
        load.Exit();
        await Wait.WaitUntilAsync(() => Held() == 3, "the two others send once the host is quiet, while the first send is still held");
        Assert.Equal(3, smtp.Events().Count(e => e.Command == "EHLO"));

        foreach (var email in emails)
        {
            smtp.SetRule(email, SmtpRule.Accept);
        }

        foreach (var email in emails)
        {
            Assert.Single(await smtp.WaitForMessagesAsync(email));
        }
    }
}

public sealed class DispatcherTestsOnSqlite : DispatcherTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class DispatcherTestsOnPostgres : DispatcherTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
