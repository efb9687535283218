using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.IntegrationTests;

/// <remarks>Runs once per database provider: <see cref="ConcurrencyTestsOnSqlite"/> and <see cref="ConcurrencyTestsOnPostgres"/>.</remarks>
public abstract class ConcurrencyTests(UnthrottledMailPortalFixture fixture)
{
    private const int Requests = 20;

    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task Twenty_concurrent_resends_leave_one_valid_code_and_the_last_mail_carries_it()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("concurrent");
        var userId = await Host.InviteAsync(orgId, email);
        using var client = Host.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(_ => client.ResendAsync(orgId, email)));
        foreach (var response in responses)
        {
            await DfnsApi.AssertSuccessAsync(response);
            response.Dispose();
        }

        // Requests resolved in one write are answered by one new code; each later write issues its own.
        await Host.PublicRequestsResolvedAsync();
        var valid = Assert.Single(await Host.ValidCodesAsync(userId));
        var codes = (await Host.AllCodesAsync(userId)).Count;
        Assert.InRange(codes, 2, Requests + 1);

        await Wait.WaitUntilAsync(() => Host.OutboxDrainedAsync(userId), "every message is sent or superseded");
        var outbox = await Host.OutboxAsync(userId);
        Assert.Equal(codes, outbox.Count);
        Assert.All(outbox, m => Assert.Null(m.ProtectedPayload));
        var sent = outbox.Count(m => m.Status == OutboxStatus.Sent);
        Assert.Equal(outbox.Count, sent + outbox.Count(m => m.Status == OutboxStatus.Superseded));

        var mails = await fixture.Smtp.WaitForMessagesAsync(email, sent);
        Assert.Equal(sent, mails.Count);
        Assert.True(Host.CodeMatches(mails[^1].Code, valid.CodeHash), "the last delivered mail carries the one valid code");
        Assert.Single(mails, m => Host.CodeMatches(m.Code, valid.CodeHash));
    }
}

public sealed class ConcurrencyTestsOnSqlite(UnthrottledMailPortalFixture fixture) : ConcurrencyTests(fixture), IClassFixture<UnthrottledMailPortalFixture>;

public sealed class ConcurrencyTestsOnPostgres(PostgresUnthrottledMailPortalFixture fixture) : ConcurrencyTests(fixture), IClassFixture<PostgresUnthrottledMailPortalFixture>;
