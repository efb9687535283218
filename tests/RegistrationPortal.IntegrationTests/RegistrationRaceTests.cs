using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// What happens between a registration call's reads and its one write: init and complete read outside the writer, and
/// the writer checks again what they relied on. Each test makes something happen in exactly that gap (a hook on the
/// real database's commands, the host's clock in the test's hands) and expects the writer to notice.
/// </summary>
public sealed class RegistrationRaceTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Email:DispatcherEnabled"] = "false",
        ["Registration:ResendCooldown"] = "00:00:00",
        ["Registration:CodeLifetime"] = "3.00:00:00",
        ["Registration:ChallengeLifetime"] = "00:10:00",
    };

    /// <summary>An admin resends the code after init has found it valid and before init's write: no challenge is opened.</summary>
    [Fact]
    public async Task A_code_replaced_between_inits_read_and_its_write_opens_no_registration()
    {
        var gap = new DatabaseGap();
        await using var host = new PortalFactory(settings: Settings, services: s => s.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(gap)));
        var (orgId, email, userId) = await host.CreatePendingUserAsync("race-init");
        var code = await host.QueuedCodeAsync(userId);
        using var client = host.CreateClient();

        // Init reads the code, then the wrong-code counters; between the two, the admin's resend replaces the code.
        gap.Arm("FROM \"CodeAttemptCounters\"", async () =>
        {
            var outcome = await host.Services.GetRequiredService<RegistrationService>().ResendAsync(orgId, email, Actor.Admin("race-admin", "127.0.0.1"));
            Assert.Equal(ResendStatus.Sent, outcome.Status);
        });
        await DfnsApi.AssertErrorAsync(await client.InitAsync(orgId, email, code), HttpStatusCode.Unauthorized, "Not Authorized.");

        Assert.True(gap.Ran);
        Assert.Equal(0, await host.WithDbAsync(db => db.RegistrationChallenges.CountAsync(c => c.UserId == userId)));
        Assert.False(await host.IsRegisteredAsync(userId));
    }

    /// <summary>
    /// Another call uses complete's nonce after complete has found it unused and before complete's write: the write
    /// refuses it as used, and the user stays pending.
    /// </summary>
    [Fact]
    public async Task A_nonce_used_between_completes_read_and_its_write_is_refused_as_used()
    {
        var gap = new DatabaseGap();
        await using var host = new PortalFactory(settings: Settings, services: s => s.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(gap)));
        var (orgId, email, userId) = await host.CreatePendingUserAsync("race-nonce");
        var other = await host.CreatePendingUserAsync("race-nonce-other");
        using var client = host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, await host.QueuedCodeAsync(userId));
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));

        // Complete checks the nonce, then reads the challenge; between the two, a resend with the same nonce uses it.
        gap.Arm("FROM \"RegistrationChallenges\"", async () => await DfnsApi.AssertSuccessAsync(await client.ResendAsync(other.OrgId, other.Email, nonce)));
        await DfnsApi.AssertErrorAsync(await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body(), nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        Assert.True(gap.Ran);
        await host.AssertUnchangedAsync(userId);
    }

    /// <summary>
    /// The challenge expires, to the tick, after complete found it open and before complete's write: the write refuses
    /// it (a challenge is valid until just before its expiry instant), and the user stays pending.
    /// </summary>
    [Fact]
    public async Task A_challenge_expiring_between_completes_read_and_its_write_is_refused()
    {
        // Whole seconds, as the token's expiry is written: token and challenge expire at the same instant.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var gap = new DatabaseGap();
        await using var host = new PortalFactory(
            settings: Settings,
            services: s => s.AddSingleton<TimeProvider>(time).ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(gap)));
        var (orgId, email, userId) = await host.CreatePendingUserAsync("race-expiry");
        using var client = host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, await host.QueuedCodeAsync(userId));
        var expiresAt = await host.WithDbAsync(db => db.RegistrationChallenges.Where(c => c.UserId == userId).Select(c => c.ExpiresAt).SingleAsync());
        time.SetUtcNow(expiresAt - TimeSpan.FromMilliseconds(1));

        // Complete reads the open challenge, then its write starts: the clock reaches the expiry instant in between.
        gap.ArmBeforeWrite("FROM \"RegistrationChallenges\"", () => time.SetUtcNow(expiresAt));
        await DfnsApi.AssertErrorAsync(await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()), HttpStatusCode.Unauthorized, "Not Authorized.");

        Assert.True(gap.Ran);
        await host.AssertUnchangedAsync(userId);
    }
}
