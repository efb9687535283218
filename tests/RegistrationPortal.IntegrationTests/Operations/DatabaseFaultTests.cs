using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// The SQLite file fails the dispatcher's or the request processor's writes for a while, as a disk with I/O errors
/// would (the real database, with an EF Core interceptor that answers the chosen statements with SQLite's I/O error):
/// the failure is logged for the operator, nothing queued is lost, and the mail goes out once the database answers
/// again.
/// </summary>
public sealed class DatabaseFaultTests
{
    [Fact]
    public async Task A_dispatch_pass_failed_by_the_database_is_logged_and_the_mail_goes_out_once_it_answers_again()
    {
        var faults = new FailingStatements(sql => sql.Contains("UPDATE \"OutboxMessages\"", StringComparison.Ordinal));
        var log = new ErrorLog();
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = FaultyHost(smtp, faults, log);
        var orgId = await host.CreateOrganizationAsync();

        faults.Failing = true;
        var email = PortalFactory.NewEmail("faulty-claim");
        var userId = await host.InviteAsync(orgId, email);
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(FailedPass)), "the dispatcher logs the failed pass");
        Assert.Empty(smtp.Messages());
        Assert.Equal(OutboxStatus.Pending, Assert.Single(await host.OutboxAsync(userId)).Status);

        faults.Failing = false;
        Assert.Single(await smtp.WaitForMessagesAsync(email));
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");
    }

    /// <summary>
    /// The database fails the read of the messages a pass has just claimed: the pass gives its claim back, so the mail
    /// goes out at the next pass instead of waiting for the claim to lapse (an hour here), and the person's next code
    /// mail is not held back behind it all that time.
    /// </summary>
    [Fact]
    public async Task A_pass_that_cannot_read_what_it_claimed_gives_the_claim_back_and_the_mail_goes_out_at_the_next_pass()
    {
        var faults = new FailingStatements(sql =>
            sql.StartsWith("SELECT", StringComparison.Ordinal)
            && sql.Contains("\"ClaimToken\" = @", StringComparison.Ordinal)
            && sql.Contains("\"Organizations\"", StringComparison.Ordinal));
        var log = new ErrorLog();
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = FaultyHost(smtp, faults, log, HourLongClaims);
        var orgId = await host.CreateOrganizationAsync();

        faults.Failing = true;
        var email = PortalFactory.NewEmail("faulty-read");
        var userId = await host.InviteAsync(orgId, email);
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(FailedPass)), "the dispatcher logs the failed pass");
        faults.Failing = false;

        Assert.Single(await smtp.WaitForMessagesAsync(email));
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");
    }

    /// <summary>
    /// The database fails the record of a delivery (the message was sent): the pass gives its claim back, so the message
    /// goes again at the next pass once the database answers (at least once), instead of an hour later when the claim
    /// lapses, and is then recorded as sent.
    /// </summary>
    [Fact]
    public async Task A_pass_that_cannot_record_a_delivery_gives_the_claim_back_and_the_message_goes_again_at_the_next_pass()
    {
        var faults = new FailingStatements(sql => sql.StartsWith("UPDATE \"OutboxMessages\" SET \"Status\" = @sent", StringComparison.Ordinal));
        var log = new ErrorLog();
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = FaultyHost(smtp, faults, log, HourLongClaims);
        var orgId = await host.CreateOrganizationAsync();

        faults.Failing = true;
        var email = PortalFactory.NewEmail("faulty-record");
        var userId = await host.InviteAsync(orgId, email);
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(FailedPass)), "the dispatcher logs the failed pass");
        Assert.Single(smtp.MessagesTo(email));
        faults.Failing = false;

        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is sent again and recorded");
        Assert.True(smtp.MessagesTo(email).Count >= 2, "the message whose delivery was not recorded went again");
    }

    /// <summary>
    /// A batch cut short by its claim's end cannot give back the message it did not get to (the database fails that
    /// write): a warning says so, and the message goes out anyway once its claim lapses.
    /// </summary>
    [Fact]
    public async Task A_failed_release_is_logged_and_the_message_goes_out_when_its_claim_lapses()
    {
        // The release is the one update of the outbox that ends a claim without setting a status; the claim's renewals
        // fail too, so that it ends.
        var renewals = FailingStatements.ClaimRenewals();
        var faults = new FailingStatements(sql =>
            sql.StartsWith("UPDATE \"OutboxMessages\"", StringComparison.Ordinal)
            && sql.Contains("\"ClaimToken\" = NULL", StringComparison.Ordinal)
            && !sql[..sql.IndexOf("WHERE", StringComparison.Ordinal)].Contains("\"Status\"", StringComparison.Ordinal));
        var log = new ErrorLog(LogLevel.Warning);
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var data = new SharedDataDirectory("regportal-faulty-release-", DatabaseProvider.Sqlite);
        var held = PortalFactory.NewEmail("held");
        var next = PortalFactory.NewEmail("next");
        string heldId;
        string nextId;
        await using (var queueing = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path))
        {
            var orgId = await queueing.CreateOrganizationAsync();
            heldId = await queueing.InviteAsync(orgId, held);
            nextId = await queueing.InviteAsync(orgId, next);
        }

        // One batch claims both; the server holds the first one's answer until the claim has ended, so the batch stops.
        smtp.SetRule(held, SmtpRule.HoldData);
        faults.Failing = true;
        await using var sending = new PortalFactory(
            smtp,
            new Dictionary<string, string?>
            {
                ["Email:Senders"] = "1",
                ["Email:ClaimLease"] = "00:00:04",
                ["Email:Smtp:Timeout"] = "00:00:30",
            },
            services: s => s
                .AddSingleton<ILoggerProvider>(log)
                .ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(faults, renewals)),
            dataDirectory: data.Path);
        _ = sending.Server;
        await sending.HoldPastClaimAsync(smtp, held, heldId);

        var notReleased = $"Warning {typeof(OutboxDispatcher).FullName}: Could not release claimed messages (SqliteException); they are due again when the claim lapses ";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(notReleased)), "the dispatcher logs the failed release");
        Assert.Single(await smtp.WaitForMessagesAsync(next));
        await Wait.WaitUntilAsync(async () => await sending.OutboxAsync(nextId) is [{ Status: OutboxStatus.Sent }], "the message is marked sent");
        Assert.Single(smtp.MessagesTo(held));
        // The pass itself went on: no failed pass.
        Assert.DoesNotContain(log.Entries, e => e.StartsWith($"Error {typeof(OutboxDispatcher).FullName}", StringComparison.Ordinal));
    }

    /// <summary>
    /// The database fails the write that resolves the public doors' requests: the processor logs it and tries again
    /// shortly, without taking the requests one by one (the database, not a request, failed), and the resend is mailed
    /// once the database answers.
    /// </summary>
    [Fact]
    public async Task A_resend_whose_resolution_the_database_fails_is_logged_and_mailed_once_it_answers_again()
    {
        var faults = new FailingStatements(sql => sql.StartsWith("DELETE FROM \"PublicRequests\"", StringComparison.Ordinal));
        var log = new ErrorLog(LogLevel.Warning);
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = FaultyHost(smtp, faults, log);
        var (orgId, email, _) = await host.CreatePendingUserAsync("faulty-resolve");
        await smtp.WaitForMessagesAsync(email);

        faults.Failing = true;
        using var client = host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        var failed = $"Warning {typeof(PublicRequestProcessor).FullName}: Resolving the public doors' requests failed; trying again shortly SqliteException";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(failed)), "the processor logs the failed write");
        Assert.Single(smtp.MessagesTo(email));

        faults.Failing = false;
        await smtp.WaitForMessagesAsync(email, 2);
        Assert.DoesNotContain(log.Entries, e => e.Contains(typeof(PublicRequestProcessor).FullName!, StringComparison.Ordinal) && e != failed);
    }

    /// <summary>
    /// A batch fails for a reason of its own, so the processor takes its requests one at a time, and then the database
    /// fails the one request's write: that request is not set aside as one this host cannot resolve (the database, not
    /// the request, failed); it is tried again and mailed once the database answers.
    /// </summary>
    [Fact]
    public async Task A_database_failure_while_requests_are_taken_one_at_a_time_sets_none_aside()
    {
        var writes = 0;
        var faults = new FailingStatements(
            sql => sql.StartsWith("DELETE FROM \"PublicRequests\"", StringComparison.Ordinal),
            () => Interlocked.Increment(ref writes) == 1
                ? new InvalidOperationException("The batch cannot be resolved.")
                : new SqliteException("disk I/O error", 10));
        var log = new ErrorLog(LogLevel.Warning);
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = FaultyHost(smtp, faults, log);
        var (orgId, email, _) = await host.CreatePendingUserAsync("faulty-single");
        await smtp.WaitForMessagesAsync(email);

        faults.Failing = true;
        using var client = host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        var processor = typeof(PublicRequestProcessor).FullName;
        var oneAtATime = $"Warning {processor}: Resolving a batch of the public doors' requests failed; resolving them one at a time InvalidOperationException";
        var failed = $"Warning {processor}: Resolving the public doors' requests failed; trying again shortly SqliteException";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(oneAtATime) && log.Entries.Contains(failed)), "the processor logs the batch and then the database failing");

        faults.Failing = false;
        await smtp.WaitForMessagesAsync(email, 2);
        Assert.DoesNotContain(log.Entries, e => e.Contains(processor!, StringComparison.Ordinal) && e != oneAtATime && e != failed);
    }

    private static readonly string FailedPass = $"Error {typeof(OutboxDispatcher).FullName}: Email dispatch pass failed; retrying after the poll interval SqliteException";

    /// <summary>Claims that last an hour, and senders that look for due mail every 200 ms: a message left to wait for its claim to lapse does not go out in a test's time.</summary>
    private static readonly Dictionary<string, string?> HourLongClaims = new() { ["Email:ClaimLease"] = "01:00:00", ["Email:PollInterval"] = "00:00:00.200" };

    private static PortalFactory FaultyHost(SmtpServer smtp, FailingStatements faults, ErrorLog log, Dictionary<string, string?>? settings = null) => new(
        smtp,
        settings,
        services: s => s
            .AddSingleton<ILoggerProvider>(log)
            .ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(faults)));
}
