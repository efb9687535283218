using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// Polls ten minutes apart (the dispatcher's and the public request processor's): whatever arrives within the tests'
/// 20-second waits was woken by the work that queued it, not found by a poll.
/// </summary>
public class LongPollMailPortalFixture : PortalFixture
{
    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:PollInterval"] = "00:10:00",
        ["Registration:RequestPollInterval"] = "00:10:00",
    };
}

public sealed class PostgresLongPollMailPortalFixture : LongPollMailPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// Mail goes out the moment its code is issued, by every door: the work that queues an email wakes the dispatcher,
/// and a public door's request wakes the processor that resolves it, so nobody waits for a poll.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="WakeUpTestsOnSqlite"/> and <see cref="WakeUpTestsOnPostgres"/>.</remarks>
public abstract class WakeUpTests(LongPollMailPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    private RegistrationService Registration => Host.Services.GetRequiredService<RegistrationService>();

    [Fact]
    public async Task An_invitation_and_an_admins_resend_are_mailed_at_once()
    {
        var (orgId, email, _) = await Host.CreatePendingUserAsync("wake-invite");
        await Smtp.WaitForMessagesAsync(email);

        Assert.Equal(ResendStatus.Sent, (await Registration.ResendAsync(orgId, email, Actor.Admin("wake-admin", "127.0.0.1"))).Status);

        await Smtp.WaitForMessagesAsync(email, 2);
    }

    /// <summary>A bulk resend wakes the dispatcher when it sent to everyone it was given, and when it sent to only some of them.</summary>
    [Fact]
    public async Task A_bulk_resend_is_mailed_at_once_whether_everyone_or_only_some_were_sent_a_code()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var emails = Enumerable.Range(0, 3).Select(i => PortalFactory.NewEmail($"wake-bulk{i}")).ToList();
        var ids = new List<string>();
        foreach (var email in emails)
        {
            ids.Add(await Host.InviteAsync(orgId, email));
            await Smtp.WaitForMessagesAsync(email);
        }

        var actor = Actor.Admin("wake-admin", "127.0.0.1");
        var everyone = await Registration.ResendToUsersAsync(orgId, [ids[0], ids[1]], actor);
        Assert.All(everyone, o => Assert.Equal(ResendStatus.Sent, o.Status));
        await Smtp.WaitForMessagesAsync(emails[0], 2);
        await Smtp.WaitForMessagesAsync(emails[1], 2);

        var some = await Registration.ResendToUsersAsync(orgId, [ids[2], Ids.New(Ids.User)], actor);
        Assert.Equal([ResendStatus.Sent, ResendStatus.Unknown], some.Select(o => o.Status));
        await Smtp.WaitForMessagesAsync(emails[2], 2);
    }

    /// <summary>
    /// More requests waiting than one write resolves (left by a host that stopped, say): the wake-up of a new request
    /// resolves them all, batch after batch, so the new one is mailed at once too.
    /// </summary>
    [Fact]
    public async Task A_resend_behind_more_waiting_requests_than_a_batch_holds_is_mailed_at_once()
    {
        var (orgId, email, _) = await Host.CreatePendingUserAsync("wake-backlog");
        await Smtp.WaitForMessagesAsync(email);
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Host.WithDbAsync(db =>
        {
            db.PublicRequests.AddRange(Enumerable.Range(0, Host.RequestBatchSize + 6).Select(i => PublicRequest.Of(
                PublicRequestKind.Resend, orgId, EmailAddress.Normalize(PortalFactory.NewEmail($"left{i}")), Actor.SelfService("127.0.0.1"), earlier.AddMilliseconds(i), null)));
            return db.SaveChangesAsync();
        });

        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await Smtp.WaitForMessagesAsync(email, 2);
        Assert.Equal(0, await Host.WithDbAsync(db => db.PublicRequests.CountAsync()));
    }

    [Fact]
    public async Task A_resend_through_the_api_is_resolved_and_mailed_at_once()
    {
        var (orgId, email, _) = await Host.CreatePendingUserAsync("wake-api");
        await Smtp.WaitForMessagesAsync(email);
        using var client = Host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));

        await Smtp.WaitForMessagesAsync(email, 2);
    }

    [Fact]
    public async Task A_wrong_code_is_counted_against_the_users_code_at_once()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("wake-wrong");
        await Smtp.WaitForMessagesAsync(email);
        using var client = Host.CreateClient();

        using (var wrong = await client.InitAsync(orgId, email, "WRNG-0000-AAAA-WAKE"))
        {
            await DfnsApi.AssertErrorAsync(wrong, System.Net.HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        await Host.PublicRequestsResolvedAsync();
        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
    }
}

public sealed class WakeUpTestsOnSqlite(LongPollMailPortalFixture fixture) : WakeUpTests(fixture), IClassFixture<LongPollMailPortalFixture>;

public sealed class WakeUpTestsOnPostgres(PostgresLongPollMailPortalFixture fixture) : WakeUpTests(fixture), IClassFixture<PostgresLongPollMailPortalFixture>;

/// <summary>
/// The processor outlives a request it cannot resolve: a recorded request this version cannot read (a kind only a newer
/// version knows, written during a rolling upgrade) is set aside, left in the database and logged as an error, and the
/// requests behind it are resolved without anyone deleting it.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="PublicRequestFailureTestsOnSqlite"/> and <see cref="PublicRequestFailureTestsOnPostgres"/>.</remarks>
public abstract class PublicRequestFailureTests
{
    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task A_request_this_host_cannot_read_is_set_aside_and_the_requests_behind_it_are_resolved()
    {
        var log = new ErrorLog(LogLevel.Warning);
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Registration:RequestPollInterval"] = "00:10:00" },
            services: s => s.AddSingleton<ILoggerProvider>(log),
            provider: Provider);
        var (orgId, email, _) = await host.CreatePendingUserAsync("after-failure");
        await smtp.WaitForMessagesAsync(email);

        // Recorded before the resend below, so it is the oldest request of the batch that reads it.
        var unreadable = PublicRequest.Of(PublicRequestKind.Resend, orgId, EmailAddress.Normalize(PortalFactory.NewEmail("unreadable")), Actor.SelfService(null), DateTimeOffset.UtcNow.AddMinutes(-1), null);
        await host.WithDbAsync(async db =>
        {
            db.PublicRequests.Add(unreadable);
            await db.SaveChangesAsync();
            return await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE \"PublicRequests\" SET \"Kind\" = 'FromANewerVersion' WHERE \"Id\" = {unreadable.Id}");
        });

        using var client = host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await smtp.WaitForMessagesAsync(email, 2);
        var setAside = $"Error {typeof(PublicRequestProcessor).FullName}: The public request {unreadable.Id} cannot be resolved by this host; it stays in the database, passed over until the host restarts";
        Assert.Contains(log.Entries, e => e.StartsWith(setAside, StringComparison.Ordinal));
        var batchFailed = $"Warning {typeof(PublicRequestProcessor).FullName}: Resolving a batch of the public doors' requests failed; resolving them one at a time";
        Assert.Single(log.Entries, e => e.StartsWith(batchFailed, StringComparison.Ordinal));
        Assert.Equal(1, await host.WithDbAsync(db => db.PublicRequests.CountAsync()));

        // The next request's batch passes over the set-aside one: resolved at once, with no failure of its own.
        var other = PortalFactory.NewEmail("after-set-aside");
        await host.InviteAsync(orgId, other);
        await smtp.WaitForMessagesAsync(other);
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, other));
        await smtp.WaitForMessagesAsync(other, 2);
        Assert.Single(log.Entries, e => e.StartsWith(batchFailed, StringComparison.Ordinal));
        Assert.Single(log.Entries, e => e.StartsWith($"Error {typeof(PublicRequestProcessor).FullName}", StringComparison.Ordinal));
        Assert.Equal(unreadable.Id, Assert.Single(await host.WithDbAsync(db => db.PublicRequests.Select(r => r.Id).ToListAsync())));
    }
}

public sealed class PublicRequestFailureTestsOnSqlite : PublicRequestFailureTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class PublicRequestFailureTestsOnPostgres : PublicRequestFailureTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
