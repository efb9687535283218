using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The real dispatcher against a real SMTP server that defers (4xx) or refuses (5xx): a deferred message is delivered
/// once the server takes it; a refused one is tried <c>Email:MaxAttempts</c> times, marked failed, never tried again,
/// and the admin sees the failure on the dashboard and on the user's page (through the services those pages call).
/// </summary>
/// <remarks>Runs once per database provider: <see cref="OutboxRefusalTestsOnSqlite"/> and <see cref="OutboxRefusalTestsOnPostgres"/>.</remarks>
public abstract class OutboxRefusalTests
{
    private const int MaxAttempts = 3;

    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task A_deferred_message_is_retried_and_delivered_once_the_server_accepts_it()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        // Room for many deferrals: the server, not the attempt limit, decides when this message goes through.
        await using var host = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:MaxAttempts"] = "50" }, provider: Provider);
        var orgId = await host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("deferred");
        smtp.SetRule(email, SmtpRule.DeferRcpt);
        var userId = await host.InviteAsync(orgId, email);

        await Wait.WaitUntilAsync(
            async () => smtp.RecipientAttempts(email) >= 2 && await InvitationAsync(host, userId) is { Status: OutboxStatus.Pending, Attempts: >= 2 },
            "the invitation has been deferred twice and is still queued");
        var deferred = await InvitationAsync(host, userId);
        Assert.Contains("Try again later", deferred.LastError, StringComparison.Ordinal);

        // Between two attempts, the retry delay (the factory's 0.2 s, doubling up to 1 s): a deferred message is not tried
        // again at once. Read while no dispatcher holds it (a claim moves its due time to the claim's end).
        OutboxMessage? waiting = null;
        await Wait.WaitUntilAsync(async () => (waiting = await InvitationAsync(host, userId)) is { Status: OutboxStatus.Pending, ClaimToken: null, LastAttemptAt: not null }, "the deferred invitation is waiting for its next attempt");
        var delay = TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, waiting!.Attempts - 1), 1000));
        Assert.Equal(waiting.LastAttemptAt!.Value + delay, waiting.NextAttemptAt);
        Assert.Empty(smtp.MessagesTo(email));

        smtp.SetRule(email, SmtpRule.Accept);

        var mail = Assert.Single(await smtp.WaitForMessagesAsync(email));
        Assert.True(host.CodeMatches(mail.Code, Assert.Single(await host.ValidCodesAsync(userId)).CodeHash), "the delivered code is the user's valid code");
        await Wait.WaitUntilAsync(async () => await InvitationAsync(host, userId) is { Status: OutboxStatus.Sent }, "the invitation is marked sent");
        var sent = await InvitationAsync(host, userId);
        Assert.Equal(smtp.RecipientAttempts(email), sent.Attempts);
        Assert.Single(smtp.MessagesTo(email));
    }

    [Theory]
    [InlineData(SmtpRule.RefuseRcpt, "Mailbox unavailable")]
    [InlineData(SmtpRule.RefuseData, "Message refused")]
    [InlineData(SmtpRule.RefuseDataVerbose, "Message refused at length, policy 1")]
    public async Task A_refused_message_is_tried_max_attempts_times_then_marked_failed_never_tried_again_and_shown_to_the_admin(SmtpRule refusal, string serverText)
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        var log = new ErrorLog(LogLevel.Warning);
        var sendSpans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "RegistrationPortal",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.OperationName == "email.send")
                {
                    sendSpans.Enqueue(span);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:MaxAttempts"] = MaxAttempts.ToString(CultureInfo.InvariantCulture) },
            services: s => s.AddSingleton<ILoggerProvider>(log),
            provider: Provider);
        var orgId = await host.CreateOrganizationAsync("Refusing Mail Org");
        var email = PortalFactory.NewEmail("refused");
        smtp.SetRule(email, refusal);
        var userId = await host.InviteAsync(orgId, email);

        await Wait.WaitUntilAsync(async () => await InvitationAsync(host, userId) is { Status: OutboxStatus.Failed }, "the invitation is marked failed");
        var failed = await InvitationAsync(host, userId);
        Assert.Equal(MaxAttempts, failed.Attempts);
        Assert.Equal(MaxAttempts, smtp.RecipientAttempts(email));
        Assert.Contains(serverText, failed.LastError, StringComparison.Ordinal);

        // The error's type and the server's answer, as much as fits in 500 characters (a long one is cut there).
        Assert.StartsWith("SmtpCommandException: ", failed.LastError, StringComparison.Ordinal);
        if (refusal == SmtpRule.RefuseDataVerbose)
        {
            Assert.Equal(500, failed.LastError!.Length);
        }
        else
        {
            Assert.EndsWith(serverText, failed.LastError, StringComparison.Ordinal);
        }

        Assert.Null(failed.ProtectedPayload);
        Assert.Empty(smtp.MessagesTo(email));

        // Giving up is audited on the user, by the dispatcher, with the number of attempts.
        var gaveUp = Assert.Single(await host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.SubjectId == userId && e.Action == AuditActions.EmailFailed)
            .Select(e => new { e.OrgId, e.ActorKind, e.ActorId, e.Details })
            .ToListAsync()));
        Assert.Equal((orgId, "System", "email-dispatcher", $"gave up after {MaxAttempts} attempts"), (gaveUp.OrgId, gaveUp.ActorKind, gaveUp.ActorId, gaveUp.Details));

        // The operator's log names each failed attempt by message, user and attempt number, with the error's type only:
        // the server's answer may quote the address, which stays out of the log.
        Assert.Equal(
            Enumerable.Range(1, MaxAttempts).Select(attempt => $"Warning {typeof(OutboxDispatcher).FullName}: Delivery of message {failed.Id} to user {userId} failed (attempt {attempt}): SmtpCommandException "),
            log.Entries.Where(e => e.Contains($"message {failed.Id}", StringComparison.Ordinal)));
        Assert.DoesNotContain(log.Entries, e => e.Contains(email, StringComparison.OrdinalIgnoreCase) || e.Contains(serverText, StringComparison.Ordinal));

        // And each attempt's trace span ends in error, naming the error's type.
        var attempts = sendSpans.Where(s => userId.Equals(s.GetTagItem("portal.user_id"))).ToList();
        Assert.Equal(MaxAttempts, attempts.Count);
        Assert.All(attempts, s => Assert.Equal((ActivityStatusCode.Error, "SmtpCommandException"), (s.Status, s.StatusDescription)));

        // Never again: even made due long ago, the failed message is passed over while the next message is sent.
        await host.WithDbAsync(db => db.OutboxMessages.Where(m => m.Id == failed.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, DateTimeOffset.UtcNow.AddHours(-1))));
        var later = PortalFactory.NewEmail("after-the-failure");
        await host.InviteAsync(orgId, later);
        await smtp.WaitForMessagesAsync(later);
        Assert.Equal(MaxAttempts, smtp.RecipientAttempts(email));
        Assert.Equal(OutboxStatus.Failed, (await InvitationAsync(host, userId)).Status);

        // The admin of the organization sees it: the dashboard's failures card and table, and the user's deliveries.
        var password = $"pw-{Guid.NewGuid():N}";
        var adminEmail = PortalFactory.NewEmail("refusal-admin");
        var created = await host.Services.GetRequiredService<AdminAccountService>().CreateAsync(orgId, adminEmail, password, platformAdmin: false, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, created.Status);

        // Both pages read their figures once the circuit is live, not in the prerendered HTML: ask the services they
        // call, as that admin (with the claims their sign-in gives them).
        var admin = await ScopeOfAsync(host, created.AdminId!, orgId);
        var summary = await host.Services.GetRequiredService<DashboardService>().ReadAsync(admin);
        Assert.Equal(new BoundedCount(1), summary.FailureCount);
        var failure = Assert.Single(summary.Failures);
        Assert.Equal((userId, MaxAttempts), (failure.UserId, failure.Attempts));
        Assert.Equal(email, failure.Email, ignoreCase: true);
        Assert.Contains(serverText, failure.LastError, StringComparison.Ordinal);

        var detail = await host.Services.GetRequiredService<OrgUserDetailService>().GetAsync(admin, userId, clientAddress: null);
        Assert.NotNull(detail);
        var delivery = Assert.Single(detail.Deliveries);
        Assert.Equal((OutboxStatus.Failed, MaxAttempts, (DateTimeOffset?)null), (delivery.Status, delivery.Attempts, delivery.SentAt));
        Assert.Equal(email, delivery.ToAddress, ignoreCase: true);
        Assert.Contains(serverText, delivery.LastError, StringComparison.Ordinal);
    }

    private static async Task<AdminScope> ScopeOfAsync(PortalFactory host, string adminId, string orgId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var admin = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByIdAsync(adminId);
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>().CreateAsync(admin!);
        return AdminScope.For(principal, orgId) ?? throw new InvalidOperationException("The admin has no scope.");
    }

    /// <summary>The user's invitation, the only message these tests queue for them.</summary>
    private static async Task<OutboxMessage> InvitationAsync(PortalFactory host, string userId) => Assert.Single(await host.OutboxAsync(userId));
}

public sealed class OutboxRefusalTestsOnSqlite : OutboxRefusalTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class OutboxRefusalTestsOnPostgres : OutboxRefusalTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
