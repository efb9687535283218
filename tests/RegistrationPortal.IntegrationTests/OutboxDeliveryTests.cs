using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.IntegrationTests;

/// <summary>The outbox loses nothing: not while the SMTP server is down, not when the host stops before sending.</summary>
/// <remarks>Runs once per database provider: <see cref="OutboxDeliveryTestsOnSqlite"/> and <see cref="OutboxDeliveryTestsOnPostgres"/>.</remarks>
public abstract class OutboxDeliveryTests
{
    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task The_dispatcher_retries_while_smtp_is_down_and_delivers_once_it_is_up()
    {
        await using var smtp = SmtpServer.Reserve();
        await using var host = new PortalFactory(smtp, provider: Provider);
        var (orgId, email, userId) = await host.CreatePendingUserAsync("outbox");

        using var client = host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await host.PublicRequestsResolvedAsync();
        var valid = Assert.Single(await host.ValidCodesAsync(userId));

        await Wait.WaitUntilAsync(
            async () => await ResendRowAsync(host, userId) is { Attempts: >= 1, LastError: not null, Status: OutboxStatus.Pending },
            "a delivery attempt has failed");

        await smtp.StartAsync();
        var mail = Assert.Single(await smtp.WaitForMessagesAsync(email));
        Assert.True(host.CodeMatches(mail.Code, valid.CodeHash));

        await Wait.WaitUntilAsync(
            async () => await ResendRowAsync(host, userId) is { Status: OutboxStatus.Sent, ProtectedPayload: null },
            "the message is marked sent and its secret dropped");
        Assert.Single(smtp.MessagesTo(email));
    }

    [Fact]
    public async Task A_message_committed_by_a_host_that_stopped_before_sending_is_delivered_after_a_restart()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var data = new SharedDataDirectory("regportal-restart-", Provider);
        string email;
        string userId;
        await using (var first = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.Path, provider: Provider))
        {
            string orgId;
            (orgId, email, userId) = await first.CreatePendingUserAsync("outbox");
            using var client = first.CreateClient();
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));

            // The resend's message is committed before the host stops (otherwise the next host resolves the request
            // while its dispatcher may already be sending the invitation, whose code the resend then replaces).
            await first.PublicRequestsResolvedAsync();
            Assert.All(await first.OutboxAsync(userId), m => Assert.Equal(OutboxStatus.Pending, m.Status));
        }

        Assert.Empty(smtp.MessagesTo(email));

        await using var second = new PortalFactory(smtp, dataDirectory: data.Path, provider: Provider);
        _ = second.Server;
        var mail = Assert.Single(await smtp.WaitForMessagesAsync(email));
        Assert.True(second.CodeMatches(mail.Code, Assert.Single(await second.ValidCodesAsync(userId)).CodeHash));
        await Wait.WaitUntilAsync(
            async () => await ResendRowAsync(second, userId) is { Status: OutboxStatus.Sent, ProtectedPayload: null },
            "the message is marked sent");
    }

    /// <summary>The message of the resend: the user's newest outbox row (the invitation's is older).</summary>
    private static async Task<OutboxMessage?> ResendRowAsync(PortalFactory host, string userId) =>
        (await host.OutboxAsync(userId)).LastOrDefault();
}

public sealed class OutboxDeliveryTestsOnSqlite : OutboxDeliveryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class OutboxDeliveryTestsOnPostgres : OutboxDeliveryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
