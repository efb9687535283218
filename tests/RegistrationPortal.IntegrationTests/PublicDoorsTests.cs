using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        await DfnsApi.AssertErrorAsync(stopped, HttpStatusCode.TooManyRequests);

        // Another address is not held back by it.
        using var other = await client.InitAsync(orgId, PortalFactory.NewEmail("sweep"), WrongCode(99), From("203.0.113.52"));
        await DfnsApi.AssertErrorAsync(other, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
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
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.SubjectId == userId && a.Action == AuditActions.ResendCooldownOverridden)));
        await client.StartAsync(orgId, email, mail.Code!);
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
        Assert.Equal(2, Assert.Single(await host.ValidCodesAsync(userId)).FailedAttempts);
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
