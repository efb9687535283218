using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests;

/// <summary>The per-user resend throttle (cooldown and hourly cap) and the per-address limiter, on a fake clock.</summary>
/// <remarks>Runs once per database provider: <see cref="ThrottlingTestsOnSqlite"/> and <see cref="ThrottlingTestsOnPostgres"/>.</remarks>
public abstract class ThrottlingTests
{
    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task A_second_resend_within_the_cooldown_is_429_and_the_same_for_an_unknown_user()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ThrottledHost(time, cooldown: "00:01:00", maxPerHour: 5);
        var (orgId, pending, userId) = await host.CreatePendingUserAsync("throttled");
        var unknown = PortalFactory.NewEmail("unknown");
        using var client = host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, pending));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, unknown));
        await host.PublicRequestsResolvedAsync();
        time.Advance(TimeSpan.FromSeconds(20));
        var codeBefore = Assert.Single(await host.ValidCodesAsync(userId)).Id;

        using var throttled = await client.ResendAsync(orgId, pending);
        using var throttledUnknown = await client.ResendAsync(orgId, unknown);
        var message = await DfnsApi.AssertErrorAsync(throttled, HttpStatusCode.TooManyRequests, "Too many requests for this user. Retry after 40 seconds.");
        await DfnsApi.AssertErrorAsync(throttledUnknown, HttpStatusCode.TooManyRequests, message);
        Assert.Equal(40, DfnsApi.RetryAfterSeconds(throttled));
        Assert.Equal(40, DfnsApi.RetryAfterSeconds(throttledUnknown));
        Assert.Equal(codeBefore, Assert.Single(await host.ValidCodesAsync(userId)).Id);

        // Once the cooldown is over the user can ask again.
        time.Advance(TimeSpan.FromSeconds(41));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, pending));
        await host.PublicRequestsResolvedAsync();
        Assert.NotEqual(codeBefore, Assert.Single(await host.ValidCodesAsync(userId)).Id);
    }

    [Fact]
    public async Task Without_cooldown_the_hourly_cap_still_applies_to_known_and_unknown_users()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ThrottledHost(time, cooldown: "00:00:00", maxPerHour: 3);
        var (orgId, pending, userId) = await host.CreatePendingUserAsync("throttled");
        var unknown = PortalFactory.NewEmail("unknown");
        using var client = host.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, pending));
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, unknown));
            await host.PublicRequestsResolvedAsync();
            time.Advance(TimeSpan.FromMinutes(1));
        }

        using var capped = await client.ResendAsync(orgId, pending);
        using var cappedUnknown = await client.ResendAsync(orgId, unknown);
        var message = await DfnsApi.AssertErrorAsync(capped, HttpStatusCode.TooManyRequests);
        await DfnsApi.AssertErrorAsync(cappedUnknown, HttpStatusCode.TooManyRequests, message);
        Assert.Equal(57 * 60, DfnsApi.RetryAfterSeconds(capped));
        Assert.Equal(57 * 60, DfnsApi.RetryAfterSeconds(cappedUnknown));
        Assert.Equal(4, (await host.AllCodesAsync(userId)).Count);

        time.Advance(TimeSpan.FromMinutes(57));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, pending));
        await host.PublicRequestsResolvedAsync();
        Assert.Equal(5, (await host.AllCodesAsync(userId)).Count);
    }

    [Fact]
    public async Task Past_the_per_address_limit_requests_get_429_with_retry_after_on_a_real_port()
    {
        await using var host = new PortalFactory(settings: new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitLimit"] = "3",
            ["Api:RateLimit:Window"] = "00:01:00",
            ["Email:DispatcherEnabled"] = "false",
        }, provider: Provider);
        using var client = new HttpClient { BaseAddress = host.StartKestrel() };
        var orgId = await host.CreateOrganizationAsync();

        for (var i = 0; i < 3; i++)
        {
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("limited")));
        }

        for (var i = 0; i < 2; i++)
        {
            using var limited = await client.ResendAsync(orgId, PortalFactory.NewEmail("limited"));
            var message = await DfnsApi.AssertErrorAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.Equal(60, DfnsApi.RetryAfterSeconds(limited));
            Assert.Equal("Too many requests from this address. Retry after 60 seconds.", message);
        }
    }

    /// <summary>
    /// The wait a held user is told is their own: not that of another user of the organization who asked earlier, nor
    /// that of the same address in another organization.
    /// </summary>
    [Fact]
    public async Task The_throttled_answer_names_the_asking_users_own_wait()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = ThrottledHost(time, cooldown: "00:01:00", maxPerHour: 5);
        var orgId = await host.CreateOrganizationAsync();
        var otherOrgId = await host.CreateOrganizationAsync();
        var asking = PortalFactory.NewEmail("asking");
        using var client = host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("neighbour")));
        time.Advance(TimeSpan.FromSeconds(20));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, asking));
        time.Advance(TimeSpan.FromSeconds(20));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(otherOrgId, asking));
        time.Advance(TimeSpan.FromSeconds(10));

        using var throttled = await client.ResendAsync(orgId, asking);
        await DfnsApi.AssertErrorAsync(throttled, HttpStatusCode.TooManyRequests);
        Assert.Equal(30, DfnsApi.RetryAfterSeconds(throttled));
    }

    /// <summary>The self-service page says the wait in seconds up to a minute and a half, in whole minutes beyond.</summary>
    [Fact]
    public async Task The_self_service_page_tells_the_held_person_their_wait_in_seconds_or_minutes()
    {
        // A whole second, so that the stored request time is exact and the waits below are exactly what they say.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        await using var host = ThrottledHost(time, cooldown: "00:05:00", maxPerHour: 5);
        var (orgId, email, _) = await host.CreatePendingUserAsync("ss-wait");
        using var client = host.CreateClient();

        var (_, first) = await SelfServicePageTests.SubmitAsync(client, email, orgId);
        Assert.Contains("a new code is on its way", first, StringComparison.Ordinal);
        await host.PublicRequestsResolvedAsync();

        foreach (var (advance, wait) in new[] { (0, "5 minutes"), (210, "90 seconds"), (50, "40 seconds") })
        {
            time.Advance(TimeSpan.FromSeconds(advance));
            var (status, body) = await SelfServicePageTests.SubmitAsync(client, email, orgId);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains($"A code was requested for this address recently. Please wait {wait} before asking again.", body, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Without a cooldown only the hourly cap holds a user back, also when the last resend counted carries a later time
    /// than this one: two hosts on one database, the first one's clock a minute ahead of the second's.
    /// </summary>
    [Fact]
    public async Task Without_cooldown_a_host_whose_clock_is_behind_anothers_still_serves_the_user()
    {
        var behind = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ahead = new FakeTimeProvider(behind.GetUtcNow().AddMinutes(1));
        await using var first = ThrottledHost(ahead, cooldown: "00:00:00", maxPerHour: 5);
        await using var second = ThrottledHost(behind, cooldown: "00:00:00", maxPerHour: 5, dataDirectory: first.DataDirectory);
        var orgId = await first.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("skewed");
        using var one = first.CreateClient();
        using var two = second.CreateClient();

        await DfnsApi.AssertSuccessAsync(await one.ResendAsync(orgId, email));
        await DfnsApi.AssertSuccessAsync(await two.ResendAsync(orgId, email));
    }

    private PortalFactory ThrottledHost(FakeTimeProvider time, string cooldown, int maxPerHour, string? dataDirectory = null) =>
        new(
            settings: new Dictionary<string, string?>
            {
                ["Registration:ResendCooldown"] = cooldown,
                ["Registration:MaxResendsPerHour"] = maxPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Email:DispatcherEnabled"] = "false",
            },
            services: s => s.AddSingleton<TimeProvider>(time),
            dataDirectory: dataDirectory,
            provider: Provider);
}

public sealed class ThrottlingTestsOnSqlite : ThrottlingTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class ThrottlingTestsOnPostgres : ThrottlingTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
