using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// Another dispatcher takes a message over (its claim lapsed) just before this one records the message's result: the
/// result is theirs to record, so this one records nothing, audits nothing, and says so in a warning. The takeover is
/// made to happen in exactly that gap: a hook on the real database's commands rewrites the claim just before the
/// record's statement, in the record's own transaction, as the other dispatcher's earlier commit would have.
/// </summary>
public sealed class LostClaimTests
{
    /// <summary>An invitation whose code was replaced before it was sent: the superseded mark finds the claim gone.</summary>
    [Fact]
    public async Task A_superseded_message_taken_over_before_its_mark_is_neither_marked_nor_audited_here()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var data = new SharedDataDirectory("regportal-lost-superseded-", DatabaseProvider.Sqlite);
        string orgId;
        string email;
        string userId;
        await using (var queueing = new PortalFactory(smtp, Queued, dataDirectory: data.Path))
        {
            (orgId, email, userId) = await queueing.CreatePendingUserAsync("lost-superseded");
            var resend = await queueing.Services.GetRequiredService<RegistrationService>().ResendAsync(orgId, email, Actor.Admin("lost-admin", "127.0.0.1"));
            Assert.Equal(ResendStatus.Sent, resend.Status);
        }

        var (gap, log) = (new DatabaseGap(), new ErrorLog(LogLevel.Warning));
        gap.Arm(RecordUnderClaim, TakeOverAsync);
        await using var sending = Sending(smtp, data, gap, log);
        _ = sending.Server;

        // The new code's email goes out; the invitation's mark found the claim gone.
        Assert.Single(await smtp.WaitForMessagesAsync(email));
        var invitation = (await sending.OutboxAsync(userId)).OrderBy(m => m.CreatedAt).First();
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(Lapsed(invitation.Id))), "the lost claim is logged");
        await Wait.WaitUntilAsync(async () => (await sending.OutboxAsync(userId)).Count(m => m.Status == OutboxStatus.Sent) == 1, "the new code's email is marked sent");
        Assert.True(gap.Ran);
        Assert.Equal(OutboxStatus.Pending, (await sending.OutboxAsync(userId)).Single(m => m.Id == invitation.Id).Status);
        Assert.Equal(0, await sending.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == userId && a.Action == AuditActions.EmailSuperseded)));
    }

    /// <summary>A refused delivery at its last attempt: the failure's mark finds the claim gone, so nobody gives up here.</summary>
    [Fact]
    public async Task A_refused_message_taken_over_before_its_mark_is_neither_given_up_on_nor_audited_here()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        smtp.SetRule("*", SmtpRule.RefuseRcpt);
        await using var data = new SharedDataDirectory("regportal-lost-failed-", DatabaseProvider.Sqlite);
        string userId;
        await using (var queueing = new PortalFactory(smtp, Queued, dataDirectory: data.Path))
        {
            (_, _, userId) = await queueing.CreatePendingUserAsync("lost-failed");
        }

        var (gap, log) = (new DatabaseGap(), new ErrorLog(LogLevel.Warning));
        gap.Arm(RecordUnderClaim, TakeOverAsync);
        await using var sending = Sending(smtp, data, gap, log, ("Email:MaxAttempts", "1"));
        _ = sending.Server;

        var invitation = Assert.Single(await sending.OutboxAsync(userId));
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(Lapsed(invitation.Id))), "the lost claim is logged");
        Assert.True(gap.Ran);
        Assert.Equal(OutboxStatus.Pending, Assert.Single(await sending.OutboxAsync(userId)).Status);
        Assert.Equal(0, await sending.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == userId && a.Action == AuditActions.EmailFailed)));
    }

    /// <summary>The statement that records one message's result while this pass's claim holds (the superseded or failed mark).</summary>
    private const string RecordUnderClaim = "\"ClaimToken\" = @message_Claim";

    private static Dictionary<string, string?> Queued => new() { ["Email:DispatcherEnabled"] = "false", ["Registration:ResendCooldown"] = "00:00:00" };

    private static PortalFactory Sending(SmtpServer smtp, SharedDataDirectory data, DatabaseGap gap, ErrorLog log, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Email:Senders"] = "1" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new PortalFactory(
            smtp,
            settings,
            services: s => s
                .AddSingleton<ILoggerProvider>(log)
                .ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(gap)),
            dataDirectory: data.Path);
    }

    /// <summary>
    /// Another dispatcher's claim on the oldest claimed message (the one being recorded), written in the record's own
    /// transaction.
    /// </summary>
    private static async Task TakeOverAsync(DbCommand record)
    {
        await using var takeOver = record.Connection!.CreateCommand();
        takeOver.Transaction = record.Transaction;
        takeOver.CommandText = """
            UPDATE "OutboxMessages" SET "ClaimToken" = '00000000-0000-0000-0000-0000000000AA'
            WHERE "Id" = (SELECT "Id" FROM "OutboxMessages" WHERE "ClaimToken" IS NOT NULL ORDER BY "CreatedAt" LIMIT 1)
            """;
        Assert.Equal(1, await takeOver.ExecuteNonQueryAsync());
    }

    private static string Lapsed(Guid messageId) =>
        $"Warning {typeof(OutboxDispatcher).FullName}: The claim on message {messageId} lapsed before its result was recorded; another dispatcher has taken it over ";
}
