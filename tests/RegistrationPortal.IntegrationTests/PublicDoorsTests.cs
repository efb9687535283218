using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The public doors as an attacker tries them: nothing they answer, and nothing they do before answering, depends on
/// whether the account exists; a stranger's wrong codes cannot keep a person from registering.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="PublicDoorsTestsOnSqlite"/> and <see cref="PublicDoorsTestsOnPostgres"/>.</remarks>
public abstract class PublicDoorsTests(ForwardedMailPortalFixture fixture)
{
    private const string Attacker = "203.0.113.50";
    private const string Person = "198.51.100.60";

    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    private static (string, string) From(string address) => ("X-Forwarded-For", address);

    private static string WrongCode(int i) => "WRNG-" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "-AAAA-AAAA";

    private async Task<(string OrgId, string Email, string UserId, string Code)> InvitedAsync(string tag)
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync(tag);
        var mail = Assert.Single(await Smtp.WaitForMessagesAsync(email));
        return (orgId, email, userId, mail.Code!);
    }

    [Fact]
    public async Task Init_says_the_user_exists_only_to_the_holder_of_their_code()
    {
        var (orgId, email, userId, code) = await InvitedAsync("exists");
        using var client = Host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, code);
        using (var done = await client.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        // A made-up code for a registered user is answered exactly as for a user that does not exist.
        using var madeUp = await client.InitAsync(orgId, email, WrongCode(1));
        using var unknown = await client.InitAsync(orgId, PortalFactory.NewEmail("nobody"), WrongCode(1));
        var madeUpBody = await DfnsApi.AssertErrorAsync(madeUp, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        await DfnsApi.AssertErrorAsync(unknown, HttpStatusCode.Unauthorized, madeUpBody);

        using var theirs = await client.InitAsync(orgId, email, code);
        await DfnsApi.AssertErrorAsync(theirs, HttpStatusCode.Unauthorized, "User already exists.");
        Assert.Equal(1, await Host.CredentialCountAsync(userId));
    }

    [Fact]
    public async Task A_strangers_wrong_codes_never_stop_the_person_who_holds_the_right_one()
    {
        var (orgId, email, userId, _) = await InvitedAsync("blocked");
        using var client = Host.CreateClient();

        // The attack of the first release: ask for a new code, then burn it with wrong ones.
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, From(Attacker)));
        var code = (await Smtp.WaitForMessagesAsync(email, 2))[^1].Code!;
        var limit = 5;
        for (var i = 0; i < limit + 5; i++)
        {
            using var response = await client.InitAsync(orgId, email, WrongCode(i), From(Attacker));
            if (i < limit)
            {
                await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
            }
            else
            {
                await DfnsApi.AssertErrorAsync(response, HttpStatusCode.TooManyRequests);
                Assert.InRange(DfnsApi.RetryAfterSeconds(response), 3_000, 3_600);
            }
        }

        // The attacker's own right guess would be refused now too; the person, from their own address, registers.
        await Host.PublicRequestsResolvedAsync();
        using (var guessed = await client.InitAsync(orgId, email, code, From(Attacker)))
        {
            await DfnsApi.AssertErrorAsync(guessed, HttpStatusCode.TooManyRequests);
        }

        using var init = await client.InitAsync(orgId, email, code, From(Person));
        Assert.True(init.StatusCode == HttpStatusCode.OK, $"the person's init: {(int)init.StatusCode} {await init.Content.ReadAsStringAsync()}");
        var body = System.Text.Json.JsonDocument.Parse(await init.Content.ReadAsStringAsync()).RootElement;
        var token = body.GetProperty("temporaryAuthenticationToken").GetString()!;
        using var done = await client.CompleteAsync(token, KeyCredentialParts.Build(body.GetProperty("challenge").GetString()!).Body());
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.True(await Host.IsRegisteredAsync(userId));

        var wrongAudited = await Host.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == userId && a.Action == AuditActions.WrongCode && a.ClientAddress == Attacker));
        Assert.Equal(limit, wrongAudited);
    }

    [Fact]
    public async Task Four_wrong_codes_then_the_right_one_from_the_same_address_registers()
    {
        var (orgId, email, userId, code) = await InvitedAsync("four-wrong");
        using var client = Host.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await client.InitAsync(orgId, email, WrongCode(i), From("203.0.113.60"));
            await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        using var init = await client.InitAsync(orgId, email, code, From("203.0.113.60"));
        var text = await init.Content.ReadAsStringAsync();
        Assert.True(init.StatusCode == HttpStatusCode.OK, $"the fifth try, the right code: {(int)init.StatusCode} {text}");
        var body = System.Text.Json.JsonDocument.Parse(text).RootElement;
        using var done = await client.CompleteAsync(body.GetProperty("temporaryAuthenticationToken").GetString()!, KeyCredentialParts.Build(body.GetProperty("challenge").GetString()!).Body());
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.True(await Host.IsRegisteredAsync(userId));
    }

    [Fact]
    public async Task One_address_trying_codes_for_many_users_is_stopped_at_the_per_address_limit()
    {
        var orgId = await Host.CreateOrganizationAsync();
        using var client = Host.CreateClient();
        const int PerAddress = 30;
        for (var i = 0; i < PerAddress; i++)
        {
            using var response = await client.InitAsync(orgId, PortalFactory.NewEmail("sweep"), WrongCode(i), From("203.0.113.51"));
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        using var stopped = await client.InitAsync(orgId, PortalFactory.NewEmail("sweep"), WrongCode(99), From("203.0.113.51"));
        var message = await DfnsApi.AssertErrorAsync(stopped, HttpStatusCode.TooManyRequests);
        Assert.Equal($"Too many wrong codes from this address. Retry after {DfnsApi.RetryAfterSeconds(stopped)} seconds.", message);

        // Another address is not held back by it.
        using var other = await client.InitAsync(orgId, PortalFactory.NewEmail("sweep"), WrongCode(99), From("203.0.113.52"));
        await DfnsApi.AssertErrorAsync(other, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
    }

    [Fact]
    public async Task A_call_is_the_register_pages_only_with_its_door_header_from_the_same_origin()
    {
        // The register page's script says X-Portal-Door: register-page, and the browser adds Sec-Fetch-Site itself.
        var cases = new (string Tag, (string, string)[] Headers, ActorKind Expected)[]
        {
            ("door-same-origin", [(RegistrationApi.DoorHeader, Actor.RegisterPageDoor), ("Sec-Fetch-Site", "same-origin")], ActorKind.SelfService),
            ("same-origin-only", [("Sec-Fetch-Site", "same-origin")], ActorKind.ApiApplication),
            ("door-cross-site", [(RegistrationApi.DoorHeader, Actor.RegisterPageDoor), ("Sec-Fetch-Site", "cross-site")], ActorKind.ApiApplication),
        };
        using var client = Host.CreateClient();
        foreach (var (tag, headers, expected) in cases)
        {
            var (orgId, email, userId, _) = await InvitedAsync(tag);
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, headers));
            await Host.PublicRequestsResolvedAsync();
            var valid = Assert.Single(await Host.ValidCodesAsync(userId));
            Assert.True(expected == valid.IssuedThrough, $"{tag}: issued through {valid.IssuedThrough}, expected {expected}");
        }
    }

    [Fact]
    public async Task An_admins_resend_is_never_held_back_by_the_cooldown_and_says_it_overrode_it()
    {
        var (orgId, email, userId, _) = await InvitedAsync("admin-override");
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, From(Attacker)));
        await Host.PublicRequestsResolvedAsync();
        using (var again = await client.ResendAsync(orgId, email, From(Person)))
        {
            await DfnsApi.AssertErrorAsync(again, HttpStatusCode.TooManyRequests);
        }

        var scope = AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
            "test")))!;
        var outcome = await Host.Services.GetRequiredService<OrgUserAdminService>().ResendAsync(scope, userId, "127.0.0.1");
        Assert.Equal(ResendStatus.Sent, outcome.Status);

        var mail = (await Smtp.WaitForMessagesAsync(email, 3))[^1];
        var valid = Assert.Single(await Host.ValidCodesAsync(userId));
        Assert.True(Host.CodeMatches(mail.Code, valid.CodeHash), "the admin's mail carries the one valid code");
        var overridden = await Host.WithDbAsync(db => db.AuditEvents.SingleAsync(a => a.SubjectId == userId && a.Action == AuditActions.ResendCooldownOverridden));
        var wait = System.Text.RegularExpressions.Regex.Match(overridden.Details ?? "", "^the per-user limit would have asked to wait ([0-9]+) s$");
        Assert.True(wait.Success, $"the audit says how long the limit would have asked to wait: '{overridden.Details}'");
        Assert.InRange(int.Parse(wait.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        await client.StartAsync(orgId, email, mail.Code!);
    }

    /// <summary>
    /// Only an existing user can be resent a code by an admin, so the public doors' limits do not count an admin's
    /// resends: the next public request for that user is answered as for an address nobody asked about, and the
    /// doors' own cooldown starts with it, for both alike.
    /// </summary>
    [Fact]
    public async Task An_admins_resend_shows_in_nothing_the_public_doors_answer()
    {
        var (orgId, email, userId, _) = await InvitedAsync("admin-unseen");
        var nobody = PortalFactory.NewEmail("admin-unseen-nobody");
        var scope = AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
            "test")))!;
        Assert.Equal(ResendStatus.Sent, (await Host.Services.GetRequiredService<OrgUserAdminService>().ResendAsync(scope, userId, "127.0.0.1")).Status);

        using var client = Host.CreateClient();
        foreach (var address in new[] { email, nobody })
        {
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, address, From(Attacker)));
        }

        foreach (var address in new[] { email, nobody })
        {
            using var again = await client.ResendAsync(orgId, address, From(Attacker));
            await DfnsApi.AssertErrorAsync(again, HttpStatusCode.TooManyRequests);
        }
    }

    /// <summary>The code a public resend issues is audited with the application and the client address that asked for it.</summary>
    [Fact]
    public async Task A_public_resend_is_audited_with_the_application_and_the_address_that_asked()
    {
        var (orgId, email, userId, _) = await InvitedAsync("audited-actor");
        var appId = await Host.CreateApplicationAsync(orgId);
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, From(Person), ("X-DFNS-APPID", appId)));
        await Smtp.WaitForMessagesAsync(email, 2);
        var sent = await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.SubjectId == userId && e.Action == AuditActions.CodeSent && e.ActorKind == nameof(ActorKind.ApiApplication))
            .Select(e => new { e.ActorId, e.ClientAddress })
            .SingleAsync());
        Assert.Equal((appId, Person), (sent.ActorId, sent.ClientAddress));
    }
}

public sealed class PublicDoorsTestsOnSqlite(ForwardedMailPortalFixture fixture) : PublicDoorsTests(fixture), IClassFixture<ForwardedMailPortalFixture>;

public sealed class PublicDoorsTestsOnPostgres(PostgresForwardedMailPortalFixture fixture) : PublicDoorsTests(fixture), IClassFixture<PostgresForwardedMailPortalFixture>;

/// <summary>The bound on wrong codes in a row from every address together, small here, on a host of its own.</summary>
public abstract class CodeBoundTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Wrong_codes_from_many_addresses_kill_the_code_at_the_bound_and_a_right_code_resets_the_streak()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(smtp, new Dictionary<string, string?>
        {
            ["ForwardedHeaders:Enabled"] = "true",
            ["Registration:MaxFailedAttemptsPerCode"] = "3",
        }, provider: provider);
        var (orgId, email, userId) = await host.CreatePendingUserAsync("bound");
        var code = Assert.Single(await smtp.WaitForMessagesAsync(email)).Code!;
        using var client = host.CreateClient();
        var address = 0;
        async Task WrongAsync()
        {
            using var response = await client.InitAsync(orgId, email, "WRNG-0000-AAAA-AAAA", ("X-Forwarded-For", $"203.0.113.{++address}"));
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        // Two wrong, then the right code: the streak starts again.
        await WrongAsync();
        await WrongAsync();
        await host.PublicRequestsResolvedAsync();
        await client.StartAsync(orgId, email, code);
        Assert.Equal(0, Assert.Single(await host.ValidCodesAsync(userId)).FailedAttempts);

        // Two more wrong leave it alive; the third in a row kills it.
        await WrongAsync();
        await WrongAsync();
        await host.PublicRequestsResolvedAsync();
        var alive = Assert.Single(await host.ValidCodesAsync(userId));
        Assert.Equal(2, alive.FailedAttempts);
        Assert.Null(alive.InvalidatedReason);
        await WrongAsync();
        await host.PublicRequestsResolvedAsync();
        Assert.Empty(await host.ValidCodesAsync(userId));
        var row = Assert.Single(await host.AllCodesAsync(userId));
        Assert.Equal(RegistrationCompletionService.TooManyAttempts, row.InvalidatedReason);
        Assert.Equal(1, await host.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == userId && a.Action == AuditActions.CodeLocked)));

        using var late = await client.InitAsync(orgId, email, code, ("X-Forwarded-For", "198.51.100.1"));
        await DfnsApi.AssertErrorAsync(late, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
    }
}

public sealed class CodeBoundTestsOnSqlite() : CodeBoundTests(DatabaseProvider.Sqlite);

public sealed class CodeBoundTestsOnPostgres() : CodeBoundTests(DatabaseProvider.Postgres);

/// <summary>
/// The wrong-code limits of init at their bounds, with the host's clock in the test's hands: when the limit lifts, how
/// it counts anew from there, and which wait the answer names when both the user's and the address's limits hold.
/// </summary>
public abstract class AttemptWindowTests(DatabaseProvider provider)
{
    private static string WrongCode(int i) => "WRNG-" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "-AAAA-AAAA";

    private PortalFactory LimitedHost(SmtpServer smtp, FakeTimeProvider time) => new(
        smtp,
        new Dictionary<string, string?>
        {
            ["ForwardedHeaders:Enabled"] = "true",
            ["Registration:MaxFailedAttempts"] = "3",
            ["Registration:MaxFailedAttemptsPerAddress"] = "5",
            ["Registration:FailedAttemptWindow"] = "00:10:00",
        },
        services: s => s.AddSingleton<TimeProvider>(time),
        provider: provider);

    /// <summary>
    /// Three wrong codes hold the address back for the window's ten minutes; at the very instant the window ends it may
    /// try again, and that try starts a new window: three more wrong codes, and it is held back for ten minutes again.
    /// </summary>
    [Fact]
    public async Task The_limit_lifts_exactly_at_the_end_of_its_window_and_counts_anew_from_there()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        var time = StillClock.OnWholeSecond();
        await using var host = LimitedHost(smtp, time);
        var (orgId, email, _) = await host.CreatePendingUserAsync("window");
        using var client = host.CreateClient();
        var tries = 0;
        async Task<HttpResponseMessage> TryAsync() => await client.InitAsync(orgId, email, WrongCode(++tries), ("X-Forwarded-For", "203.0.113.70"));

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 3; i++)
            {
                using var wrong = await TryAsync();
                await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
            }

            using var held = await TryAsync();
            await DfnsApi.AssertErrorAsync(held, HttpStatusCode.TooManyRequests);
            Assert.Equal(600, DfnsApi.RetryAfterSeconds(held));
            time.Advance(TimeSpan.FromMinutes(10));
        }
    }

    /// <summary>
    /// The limits count per address: an address held back by one user's limit and by its own holds back no other
    /// address, which still gets that user's true answers (a wrong code is 401, the right code opens the registration).
    /// </summary>
    [Fact]
    public async Task An_address_held_back_holds_back_no_other_address()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        var time = StillClock.OnWholeSecond();
        await using var host = LimitedHost(smtp, time);
        var (orgId, email, _) = await host.CreatePendingUserAsync("elsewhere");
        var code = Assert.Single(await smtp.WaitForMessagesAsync(email)).Code;
        var stranger = PortalFactory.NewEmail("stranger");
        using var client = host.CreateClient();
        var tries = 0;
        Task<HttpResponseMessage> FromAsync(string address, string username, string? tried = null) =>
            client.InitAsync(orgId, username, tried ?? WrongCode(++tries), ("X-Forwarded-For", address));

        // Three wrong codes for the user and two for a stranger: the user's limit and the address's both hold.
        foreach (var username in new[] { email, email, email, stranger, stranger })
        {
            using var wrong = await FromAsync("203.0.113.72", username);
            await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        using var held = await FromAsync("203.0.113.72", email, code);
        await DfnsApi.AssertErrorAsync(held, HttpStatusCode.TooManyRequests);

        using var otherWrong = await FromAsync("198.51.100.73", email);
        await DfnsApi.AssertErrorAsync(otherWrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        using var otherRight = await FromAsync("198.51.100.73", email, code);
        Assert.Equal(HttpStatusCode.OK, otherRight.StatusCode);
        Assert.Contains("\"temporaryAuthenticationToken\"", await otherRight.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// When the user's limit and the address's both hold, the answer names the longer wait: the address's limit, reached
    /// over two users, started four minutes before the user's.
    /// </summary>
    [Fact]
    public async Task Held_back_by_both_limits_the_answer_names_the_longer_wait()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        var time = StillClock.OnWholeSecond();
        await using var host = LimitedHost(smtp, time);
        var orgId = await host.CreateOrganizationAsync();
        var first = PortalFactory.NewEmail("first");
        var second = PortalFactory.NewEmail("second");
        using var client = host.CreateClient();
        var tries = 0;
        async Task<HttpResponseMessage> TryAsync(string email) => await client.InitAsync(orgId, email, WrongCode(++tries), ("X-Forwarded-For", "203.0.113.71"));

        foreach (var email in new[] { first, first, "", second, second, second })
        {
            if (email.Length == 0)
            {
                time.Advance(TimeSpan.FromMinutes(4));
                continue;
            }

            using var wrong = await TryAsync(email);
            await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        using var both = await TryAsync(second);
        await DfnsApi.AssertErrorAsync(both, HttpStatusCode.TooManyRequests);
        Assert.Equal(600, DfnsApi.RetryAfterSeconds(both));
        using var addressOnly = await TryAsync(PortalFactory.NewEmail("third"));
        await DfnsApi.AssertErrorAsync(addressOnly, HttpStatusCode.TooManyRequests);
        Assert.Equal(360, DfnsApi.RetryAfterSeconds(addressOnly));
    }
}

public sealed class AttemptWindowTestsOnSqlite() : AttemptWindowTests(DatabaseProvider.Sqlite);

public sealed class AttemptWindowTestsOnPostgres() : AttemptWindowTests(DatabaseProvider.Postgres);

/// <summary>
/// Equal by construction: the statements a public door runs before it answers are the same for a pending, registered,
/// deactivated or unknown user and an unknown organization. The host resolves no request here, so every statement
/// logged while a request is answered is that request's.
/// </summary>
public abstract class EqualWorkTests(DatabaseProvider provider)
{
    [Fact]
    public async Task Resend_self_service_and_a_wrong_code_run_the_same_statements_whoever_is_asked_about()
    {
        var log = new CommandLog();
        await using var host = new PortalFactory(settings: new Dictionary<string, string?>
        {
            ["Registration:RequestProcessorEnabled"] = "false",
            ["Registration:ResendCooldown"] = "00:00:00",
            ["Email:DispatcherEnabled"] = "false",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
            ["Logging:LogLevel:Npgsql.Command"] = "Information",
        }, services: s => s.AddSingleton<ILoggerProvider>(log), provider: provider);
        var orgId = await host.CreateOrganizationAsync();
        var cases = new (string Name, string OrgId, string Email)[]
        {
            ("pending", orgId, PortalFactory.NewEmail("eq-pending")),
            ("registered", orgId, PortalFactory.NewEmail("eq-registered")),
            ("deactivated", orgId, PortalFactory.NewEmail("eq-deactivated")),
            ("unknown user", orgId, PortalFactory.NewEmail("eq-unknown")),
            ("unknown org", Ids.New(Ids.Organization), PortalFactory.NewEmail("eq-unknown-org")),
        };
        var pendingId = await host.InviteAsync(orgId, cases[0].Email);
        await host.MarkRegisteredAsync(await host.InviteAsync(orgId, cases[1].Email));
        await host.DeactivateAsync(await host.InviteAsync(orgId, cases[2].Email));
        using var client = host.CreateClient();

        async Task<List<string>> StatementsOfAsync(Func<Task> request)
        {
            log.Clear();
            await request();
            return log.Statements();
        }

        var doors = new (string Door, Func<string, string, Task> Ask)[]
        {
            ("PUT /auth/registration/code", async (org, email) => await DfnsApi.AssertSuccessAsync(await client.ResendAsync(org, email))),
            ("POST /auth/registration/init (wrong code)", async (org, email) =>
            {
                using var response = await client.InitAsync(org, email, "WRNG-0000-AAAA-AAAA");
                await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
            }),
        };
        foreach (var (door, ask) in doors)
        {
            // The client address's own counter exists after its first request, whoever that was about.
            await ask(orgId, PortalFactory.NewEmail("eq-first"));
            var reference = await StatementsOfAsync(() => ask(cases[0].OrgId, cases[0].Email));
            Assert.NotEmpty(reference);
            foreach (var (name, org, email) in cases.Skip(1))
            {
                var statements = await StatementsOfAsync(() => ask(org, email));
                Assert.True(reference.SequenceEqual(statements), $"{door}, {name}: ran\n{string.Join("\n", statements)}\nwhere pending ran\n{string.Join("\n", reference)}");
            }
        }

        // The self-service page: only the POST is compared (the GET gives the form its antiforgery token).
        var selfService = new List<List<string>>();
        foreach (var (_, org, email) in cases)
        {
            using var page = host.CreateClient();
            var (status, _) = await SelfServicePageTests.SubmitAsync(page, email, org, log.Clear);
            Assert.Equal(HttpStatusCode.OK, status);
            selfService.Add(log.Statements());
        }

        Assert.All(selfService, s => Assert.Equal(selfService[0], s));

        // Nothing was issued while answering: every resend waits, recorded, for the processor.
        Assert.Single(await host.AllCodesAsync(pendingId));
        Assert.Equal(2 * cases.Length + 1, await host.WithDbAsync(db => db.PublicRequests.CountAsync(r => r.Kind == PublicRequestKind.Resend)));
    }

    /// <summary>The text of every database command the host runs, in order: through EF Core, or straight through Npgsql.</summary>
    private sealed class CommandLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _statements = new();

        public void Clear() => _statements.Clear();

        public List<string> Statements() => _statements.ToList();

        public ILogger CreateLogger(string categoryName) =>
            categoryName is "Microsoft.EntityFrameworkCore.Database.Command" or "Npgsql.Command" ? new Logger(_statements) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> statements) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (state is not IReadOnlyList<KeyValuePair<string, object?>> values)
                {
                    return;
                }

                // EF Core: its "command executed" event. Npgsql: its "command execution completed" message.
                var efCore = values.FirstOrDefault(v => v.Key == "commandText").Value is string text && eventId.Name?.EndsWith("CommandExecuted", StringComparison.Ordinal) == true;
                var npgsql = values.FirstOrDefault(v => v.Key == "CommandText").Value is string direct && values.Any(v => v.Key == "DurationMs");
                if (efCore || npgsql)
                {
                    statements.Enqueue(efCore ? (string)values.First(v => v.Key == "commandText").Value! : (string)values.First(v => v.Key == "CommandText").Value!);
                }
            }
        }
    }
}

public sealed class EqualWorkTestsOnSqlite() : EqualWorkTests(DatabaseProvider.Sqlite);

public sealed class EqualWorkTestsOnPostgres() : EqualWorkTests(DatabaseProvider.Postgres);

/// <summary>
/// No processor and a fake clock that moves only when a test moves it, requests from several addresses, no cooldown,
/// a code dies at its fifth wrong try:
/// a test records requests through the public doors, then resolves them itself in batches of the size it chooses.
/// </summary>
public class BatchedRequestsFixture : PortalFixture
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected sealed override bool WithSmtp => false;

    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ForwardedHeaders:Enabled"] = "true",
        ["Registration:RequestProcessorEnabled"] = "false",
        ["Registration:ResendCooldown"] = "00:00:00",
        ["Registration:MaxResendsPerHour"] = "1000",
        ["Registration:MaxFailedAttemptsPerCode"] = "5",
        ["Email:DispatcherEnabled"] = "false",
    };

    protected sealed override Action<IServiceCollection>? Services => s => s.AddSingleton<TimeProvider>(Time);
}

public sealed class PostgresBatchedRequestsFixture : BatchedRequestsFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// How <see cref="RegistrationService.ProcessPublicRequestsAsync"/> resolves what the public doors recorded: which
/// request of a user gets the code, what the wrong codes count against, and in which order batches are taken.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="PublicRequestBatchTestsOnSqlite"/> and <see cref="PublicRequestBatchTestsOnPostgres"/>.</remarks>
public abstract class PublicRequestBatchTests(BatchedRequestsFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private FakeTimeProvider Time => fixture.Time;

    private Task<int> ProcessAsync(int max) => Host.Services.GetRequiredService<RegistrationService>().ProcessPublicRequestsAsync(max);

    /// <summary>A resend through <c>PUT /auth/registration/code</c> from <paramref name="address"/>, a moment after the last request.</summary>
    private async Task ResendAsync(HttpClient client, string orgId, string email, string address)
    {
        Time.Advance(TimeSpan.FromSeconds(1));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email, ("X-Forwarded-For", address)));
    }

    /// <summary>A wrong code at <c>POST /auth/registration/init</c> from <paramref name="address"/>, a moment after the last request.</summary>
    private async Task WrongCodeAsync(HttpClient client, string orgId, string email, string address, bool advance = true)
    {
        if (advance)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        using var response = await client.InitAsync(orgId, email, "WRNG-0000-AAAA-AAAA", ("X-Forwarded-For", address));
        await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
    }

    private Task<List<AuditEvent>> AuditsAsync(string userId, string action) =>
        Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId && a.Action == action).OrderBy(a => a.Id).ToListAsync());

    private async Task ResolveAllAsync()
    {
        await ProcessAsync(Host.RequestBatchSize);
        Assert.False(await Host.WithDbAsync(db => db.PublicRequests.AnyAsync()), "every recorded request is resolved");
    }

    /// <summary>
    /// A wrong code, then two resends of one user, all resolved in one batch: one new code, issued for the first resend
    /// (the audit names its address), and the wrong code counted against the code it was tried on and audited, even
    /// though that code is replaced in the same batch. Another user's valid code, issued earlier, is left alone.
    /// </summary>
    [Fact]
    public async Task A_wrong_code_and_two_resends_resolved_together_give_one_code_for_the_first_resend_and_audit_the_wrong_try()
    {
        await ResolveAllAsync();
        var orgId = await Host.CreateOrganizationAsync();
        var bystanderId = await Host.InviteAsync(orgId, PortalFactory.NewEmail("bystander"));
        Time.Advance(TimeSpan.FromSeconds(1));
        var email = PortalFactory.NewEmail("batched");
        var userId = await Host.InviteAsync(orgId, email);
        var invitation = Assert.Single(await Host.ValidCodesAsync(userId));
        using var client = Host.CreateClient();

        await WrongCodeAsync(client, orgId, email, "203.0.113.71");
        await ResendAsync(client, orgId, email, "198.51.100.72");
        await ResendAsync(client, orgId, email, "198.51.100.73");
        Assert.Equal(3, await ProcessAsync(Host.RequestBatchSize));

        Assert.Equal(2, (await Host.OutboxAsync(userId)).Count);
        var codes = await Host.AllCodesAsync(userId);
        Assert.Equal(2, codes.Count);
        var valid = Assert.Single(await Host.ValidCodesAsync(userId));
        Assert.NotEqual(invitation.Id, valid.Id);
        var replaced = Assert.Single(codes, c => c.Id == invitation.Id);
        Assert.Equal(InvalidationReasons.Replaced, replaced.InvalidatedReason);
        Assert.Equal(1, replaced.FailedAttempts);

        var sent = Assert.Single(await AuditsAsync(userId, AuditActions.CodeSent), a => a.ActorKind == nameof(ActorKind.ApiApplication));
        Assert.Equal("198.51.100.72", sent.ClientAddress);
        var wrong = Assert.Single(await AuditsAsync(userId, AuditActions.WrongCode));
        Assert.Equal("attempt 1 of 5", wrong.Details);
        Assert.Equal("203.0.113.71", wrong.ClientAddress);

        Assert.Empty(await AuditsAsync(bystanderId, AuditActions.WrongCode));
        Assert.Equal(0, Assert.Single(await Host.ValidCodesAsync(bystanderId)).FailedAttempts);
    }

    /// <summary>
    /// Wrong codes with nothing to count against when they are resolved: one tried on a code an admin replaced before
    /// the try was resolved, one tried on a user who has registered. Neither counts against a code (the admin's new code
    /// starts with no failed attempt), and each is in the organization's audit log with its address.
    /// </summary>
    [Fact]
    public async Task A_wrong_code_with_no_code_to_count_against_is_audited_as_not_counted()
    {
        await ResolveAllAsync();
        var orgId = await Host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("replaced-before");
        var userId = await Host.InviteAsync(orgId, email);
        var registeredEmail = PortalFactory.NewEmail("registered-wrong");
        var registeredId = await Host.InviteAsync(orgId, registeredEmail);
        await Host.MarkRegisteredAsync(registeredId);
        await Host.WithDbAsync(db => db.RegistrationCodes.Where(c => c.UserId == registeredId).ExecuteUpdateAsync(u => u.SetProperty(c => c.UsedAt, c => c.CreatedAt)));
        using var client = Host.CreateClient();

        await WrongCodeAsync(client, orgId, email, "203.0.113.81");
        await WrongCodeAsync(client, orgId, registeredEmail, "203.0.113.82");
        Time.Advance(TimeSpan.FromSeconds(1));
        var registration = Host.Services.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("replacing-admin", "127.0.0.1"))).Status);
        await ResolveAllAsync();

        Assert.Equal(0, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
        var wrong = Assert.Single(await AuditsAsync(userId, AuditActions.WrongCode));
        Assert.Equal((RegistrationService.WrongCodeNotCounted, "203.0.113.81"), (wrong.Details, wrong.ClientAddress));
        var onRegistered = Assert.Single(await AuditsAsync(registeredId, AuditActions.WrongCode));
        Assert.Equal((RegistrationService.WrongCodeNotCounted, "203.0.113.82"), (onRegistered.Details, onRegistered.ClientAddress));
    }

    /// <summary>
    /// Resends of several users resolved in one write: each user's mail carries the code of their own registration (the
    /// write stores many codes, mails and audit events together, on PostgreSQL each table's rows in one statement).
    /// </summary>
    [Fact]
    public async Task Resends_of_several_users_resolved_together_each_mail_the_users_own_working_code()
    {
        await ResolveAllAsync();
        var orgId = await Host.CreateOrganizationAsync();
        var users = new List<(string Email, string UserId)>();
        for (var i = 0; i < 4; i++)
        {
            var email = PortalFactory.NewEmail($"together{i}");
            users.Add((email, await Host.InviteAsync(orgId, email)));
        }

        using var client = Host.CreateClient();
        for (var i = 0; i < users.Count; i++)
        {
            await ResendAsync(client, orgId, users[i].Email, $"198.51.100.{80 + i}");
        }

        Assert.Equal(users.Count, await ProcessAsync(Host.RequestBatchSize));

        for (var i = 0; i < users.Count; i++)
        {
            var (email, userId) = users[i];
            var code = Assert.Single(await Host.ValidCodesAsync(userId));
            var mail = Assert.Single(await Host.OutboxAsync(userId), m => m.CodeId == code.Id);
            Assert.Equal(email, mail.ToAddress);
            var sent = Assert.Single(await AuditsAsync(userId, AuditActions.CodeSent), a => a.ActorKind == nameof(ActorKind.ApiApplication));
            Assert.Equal($"198.51.100.{80 + i}", sent.ClientAddress);
            using var init = await client.InitAsync(orgId, email, Host.UnprotectPayload(mail.ProtectedPayload!), ("X-Forwarded-For", $"203.0.113.{80 + i}"));
            Assert.True(init.IsSuccessStatusCode, $"{email}: {(int)init.StatusCode} {await init.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>
    /// With more waiting than a batch takes, the oldest go first: a wrong code recorded before a resend counts against
    /// the code it was tried on, which the resend then replaces. Newest first, the new code would make the wrong try
    /// look later than it was, and it would not count.
    /// </summary>
    [Fact]
    public async Task With_more_requests_waiting_than_a_batch_the_oldest_are_resolved_first()
    {
        await ResolveAllAsync();
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("oldest-first");
        var invitation = Assert.Single(await Host.ValidCodesAsync(userId));
        using var client = Host.CreateClient();
        await WrongCodeAsync(client, orgId, email, "203.0.113.74");
        await ResendAsync(client, orgId, email, "198.51.100.75");

        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await ProcessAsync(1));
        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
        Assert.Equal(1, await ProcessAsync(1));
        Assert.Equal(0, await ProcessAsync(1));

        Assert.Equal("attempt 1 of 5", Assert.Single(await AuditsAsync(userId, AuditActions.WrongCode)).Details);
        Assert.NotEqual(invitation.Id, Assert.Single(await Host.ValidCodesAsync(userId)).Id);
        Assert.Equal(1, Assert.Single(await Host.AllCodesAsync(userId), c => c.Id == invitation.Id).FailedAttempts);
    }

    [Fact]
    public async Task A_wrong_code_tried_at_the_very_instant_its_code_was_issued_counts_against_it()
    {
        await ResolveAllAsync();
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("same-instant");
        using var client = Host.CreateClient();
        await WrongCodeAsync(client, orgId, email, "203.0.113.76", advance: false);
        await ResolveAllAsync();

        Assert.Equal(1, Assert.Single(await Host.ValidCodesAsync(userId)).FailedAttempts);
        Assert.Equal("attempt 1 of 5", Assert.Single(await AuditsAsync(userId, AuditActions.WrongCode)).Details);
    }

    /// <summary>
    /// A resend asked for before an admin sent a code that a deactivation then killed: once the user is active again,
    /// the dead code does not count as the answer, and the resend brings a new one.
    /// </summary>
    [Fact]
    public async Task A_resend_asked_for_before_a_code_that_deactivation_killed_brings_a_new_code()
    {
        await ResolveAllAsync();
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("deactivated-between");
        using var client = Host.CreateClient();
        await ResendAsync(client, orgId, email, "198.51.100.77");

        Time.Advance(TimeSpan.FromSeconds(1));
        var admin = Actor.Operator("test");
        Assert.Equal(ResendStatus.Sent, (await Host.Services.GetRequiredService<RegistrationService>().ResendAsync(orgId, email, admin)).Status);
        var lifecycle = Host.Services.GetRequiredService<UserLifecycleService>();
        Assert.Equal(UserStateStatus.Changed, (await lifecycle.DeactivateAsync(orgId, userId, admin)).Status);
        Assert.Equal(UserStateStatus.Changed, (await lifecycle.ReactivateAsync(orgId, userId, admin)).Status);
        Assert.Empty(await Host.ValidCodesAsync(userId));

        Time.Advance(TimeSpan.FromSeconds(1));
        await ResolveAllAsync();
        Assert.Single(await Host.ValidCodesAsync(userId));
        Assert.Equal(3, (await Host.OutboxAsync(userId)).Count);
    }
}

public sealed class PublicRequestBatchTestsOnSqlite(BatchedRequestsFixture fixture) : PublicRequestBatchTests(fixture), IClassFixture<BatchedRequestsFixture>;

public sealed class PublicRequestBatchTestsOnPostgres(PostgresBatchedRequestsFixture fixture) : PublicRequestBatchTests(fixture), IClassFixture<PostgresBatchedRequestsFixture>
{
    /// <summary>
    /// Resolving a user's request locks that user's row alone: another user of the organization, held by a long
    /// transaction (an admin's bulk resend, say), does not hold it up.
    /// </summary>
    [Fact]
    public async Task Resolving_a_users_request_does_not_wait_for_a_lock_on_another_user_of_the_organization()
    {
        var host = fixture.Factory;
        var registration = host.Services.GetRequiredService<RegistrationService>();
        await registration.ProcessPublicRequestsAsync(host.RequestBatchSize);
        var orgId = await host.CreateOrganizationAsync();
        var neighbourId = await host.InviteAsync(orgId, PortalFactory.NewEmail("locked-neighbour"));
        var email = PortalFactory.NewEmail("not-held-up");
        var userId = await host.InviteAsync(orgId, email);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        using var client = host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));

        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("""SELECT 1 FROM "Users" WHERE "Id" = @id FOR UPDATE""", connection, transaction))
        {
            hold.Parameters.AddWithValue("id", neighbourId);
            Assert.Equal(1, await hold.ExecuteScalarAsync());
        }

        Assert.Equal(1, await registration.ProcessPublicRequestsAsync(host.RequestBatchSize).WaitAsync(Wait.DefaultTimeout));
        Assert.Equal(2, (await host.OutboxAsync(userId)).Count);
        await transaction.RollbackAsync();
    }

    /// <summary>
    /// A batch takes the oldest requests no other batch holds: while another host's batch holds the oldest request, a
    /// batch of one resolves the next, rather than finding the oldest taken and resolving nothing.
    /// </summary>
    [Fact]
    public async Task A_batch_passes_over_the_requests_another_batch_holds_and_takes_the_next()
    {
        var host = fixture.Factory;
        var registration = host.Services.GetRequiredService<RegistrationService>();
        await registration.ProcessPublicRequestsAsync(host.RequestBatchSize);
        var orgId = await host.CreateOrganizationAsync();
        var (heldEmail, nextEmail) = (PortalFactory.NewEmail("held-request"), PortalFactory.NewEmail("next-request"));
        var heldId = await host.InviteAsync(orgId, heldEmail);
        var nextId = await host.InviteAsync(orgId, nextEmail);
        using var client = host.CreateClient();
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, heldEmail));
        fixture.Time.Advance(TimeSpan.FromSeconds(1)); // a request's key orders by its time
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, nextEmail));

        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("""SELECT 1 FROM "PublicRequests" ORDER BY "Id" LIMIT 1 FOR UPDATE""", connection, transaction))
        {
            Assert.Equal(1, await hold.ExecuteScalarAsync());
        }

        Assert.Equal(1, await registration.ProcessPublicRequestsAsync(1).WaitAsync(Wait.DefaultTimeout));
        Assert.Equal(2, (await host.OutboxAsync(nextId)).Count);
        Assert.Single(await host.OutboxAsync(heldId));

        await transaction.RollbackAsync();
        Assert.Equal(1, await registration.ProcessPublicRequestsAsync(1).WaitAsync(Wait.DefaultTimeout));
        Assert.Equal(2, (await host.OutboxAsync(heldId)).Count);
    }
}
