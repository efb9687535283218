using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
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

    [Fact]
    public async Task A_resend_through_the_api_is_resolved_and_mailed_at_once()
    {
        var (orgId, email, _) = await Host.CreatePendingUserAsync("wake-api");
        await Smtp.WaitForMessagesAsync(email);
        using var client = Host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));

        await Smtp.WaitForMessagesAsync(email, 2);
    }
}

public sealed class WakeUpTestsOnSqlite(LongPollMailPortalFixture fixture) : WakeUpTests(fixture), IClassFixture<LongPollMailPortalFixture>;

public sealed class WakeUpTestsOnPostgres(PostgresLongPollMailPortalFixture fixture) : WakeUpTests(fixture), IClassFixture<PostgresLongPollMailPortalFixture>;
