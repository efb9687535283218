using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.ServiceAccounts;

/// <summary>The host on a real loopback port with a real SMTP server, for the SDK that runs in another process.</summary>
public class UsersApiPortalFixture : PortalFixture
{
    protected override bool OnRealPort => true;
}

public sealed class PostgresUsersApiPortalFixture : UsersApiPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// A program written for Dfns, unchanged: the published <c>@dfns/sdk</c> with <c>@dfns/sdk-keysigner</c>'s
/// AsymmetricKeySigner (tests/dfns-sdk/users-api.mjs) invites a user with a service account's token, lists, reads,
/// deactivates and reactivates them; the invitation reaches the real SMTP server, and the person then registers with
/// an emailed code through the SDK's registration calls (register.mjs).
/// </summary>
public class UsersApiSdkTests(UsersApiPortalFixture fixture) : IClassFixture<UsersApiPortalFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_program_using_the_published_sdk_invites_manages_and_the_person_registers()
    {
        var host = fixture.Factory;
        var orgId = await host.CreateOrganizationAsync();
        var account = await host.CreateServiceAccountAsync(orgId);
        var email = PortalFactory.NewEmail("sdk-users");
        var work = Directory.CreateTempSubdirectory("regportal-users-api-").FullName;
        try
        {
            var keyFile = Path.Combine(work, "key.pem");
            await File.WriteAllTextAsync(keyFile, account.Key.ExportPkcs8PrivateKeyPem());
            var environment = new Dictionary<string, string>
            {
                ["AUTH_TOKEN"] = account.Token,
                ["CRED_ID"] = account.CredId,
                ["PRIVATE_KEY_FILE"] = keyFile,
                ["ORG_ID"] = orgId,
                ["EMAIL"] = email,
            };

            // The invitation goes out through the outbox to the real SMTP server, with a code in it; the script goes on
            // to deactivate the user (which kills that code) only once it has arrived.
            var goOn = Path.Combine(work, "go-on");
            environment["GO_ON_FILE"] = goOn;
            var lifecycle = await RunNodeAsync("users-api.mjs", environment, async created =>
            {
                Assert.Contains("\"created\"", created, StringComparison.Ordinal);
                var invitation = Assert.Single(await fixture.Smtp.WaitForMessagesAsync(email));
                Assert.NotNull(invitation.Code);
                await File.WriteAllTextAsync(goOn, "");
            });
            var userId = lifecycle.GetProperty("userId").GetString()!;
            Assert.Equal(orgId, lifecycle.GetProperty("orgId").GetString());
            Assert.False(lifecycle.GetProperty("deactivated").GetProperty("isActive").GetBoolean());
            Assert.True(lifecycle.GetProperty("activated").GetProperty("isActive").GetBoolean());
            Assert.Single(await fixture.Smtp.WaitForMessagesAsync(email));

            // Every change is audited with the service account as the actor, through the API door.
            var events = await host.WithDbAsync(db => db.AuditEvents.Where(e => e.SubjectId == userId && e.ActorId == account.Id).Select(e => new { e.Action, e.ActorKind }).ToListAsync());
            foreach (var action in new[] { AuditActions.UserInvited, AuditActions.CodeSent, AuditActions.UserDeactivated, AuditActions.UserReactivated, AuditActions.UserRead })
            {
                Assert.Contains(events, e => e.Action == action && e.ActorKind == "ApiApplication");
            }

            // Deactivation killed the invitation's code: the person registers with a new one, through the SDK.
            await RegisterThroughSdkAsync(orgId, email, work);
            var registered = await RunNodeAsync("users-api.mjs", new Dictionary<string, string>(environment) { ["MODE"] = "get", ["USER_ID"] = userId });
            Assert.True(registered.GetProperty("user").GetProperty("isRegistered").GetBoolean());
            Assert.StartsWith("cr-", registered.GetProperty("user").GetProperty("credentialUuid").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Runs a script of tests/dfns-sdk against the host and returns its last line, which must say ok; <paramref name="first"/>,
    /// when given, is handed the script's first line as soon as it is written.
    /// </summary>
    private async Task<JsonElement> RunNodeAsync(string script, IReadOnlyDictionary<string, string> environment, Func<string, Task>? first = null)
    {
        var start = new ProcessStartInfo("node", script) { WorkingDirectory = SdkDirectory(), RedirectStandardOutput = true };
        start.Environment["BASE_URL"] = fixture.RealPortAddress!.ToString().TrimEnd('/');
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var node = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            var head = "";
            if (first is not null)
            {
                head = await node.StandardOutput.ReadLineAsync(deadline.Token) ?? "";
                await first(head);
            }

            var output = head + "\n" + await node.StandardOutput.ReadToEndAsync(deadline.Token);
            await node.WaitForExitAsync(deadline.Token);
            var result = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            Assert.True(node.ExitCode == 0, $"{script} exit {node.ExitCode}: {result}");
            var json = JsonDocument.Parse(result).RootElement.Clone();
            Assert.True(json.GetProperty("ok").GetBoolean(), result);
            return json;
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>register.mjs: a resend, the code handed over from the newest mail, a wrong code, then init and register.</summary>
    private async Task RegisterThroughSdkAsync(string orgId, string email, string work)
    {
        var before = (await fixture.Smtp.WaitForMessagesAsync(email)).Count;
        var codeFile = Path.Combine(work, "code");
        var start = new ProcessStartInfo("node", "register.mjs") { WorkingDirectory = SdkDirectory(), RedirectStandardOutput = true };
        start.Environment["BASE_URL"] = fixture.RealPortAddress!.ToString().TrimEnd('/');
        start.Environment["ORG_ID"] = orgId;
        start.Environment["USERNAME"] = email;
        start.Environment["CODE_FILE"] = codeFile;
        using var node = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            var line = await node.StandardOutput.ReadLineAsync(deadline.Token);
            Assert.True(line is not null && line.Contains("\"code-requested\"", StringComparison.Ordinal), $"SDK said: {line}");
            var code = (await fixture.Smtp.WaitForMessagesAsync(email, before + 1))[^1].Code;
            Assert.NotNull(code);
            await File.WriteAllTextAsync(codeFile + ".tmp", code, deadline.Token);
            File.Move(codeFile + ".tmp", codeFile);
            var output = await node.StandardOutput.ReadToEndAsync(deadline.Token);
            await node.WaitForExitAsync(deadline.Token);
            Assert.True(node.ExitCode == 0, $"register.mjs exit {node.ExitCode}: {output}");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
    }

    private static string SdkDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "dfns-sdk");
            if (File.Exists(Path.Combine(candidate, "users-api.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/dfns-sdk not found above the test assembly.");
    }
}

public sealed class UsersApiSdkTestsOnPostgres(PostgresUsersApiPortalFixture fixture) : UsersApiSdkTests(fixture), IClassFixture<PostgresUsersApiPortalFixture>;
