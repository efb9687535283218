using Microsoft.Data.Sqlite;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Cli;

/// <summary>The operator verbs, run as an operator runs them: the host's own executable in a separate process.</summary>
public sealed class OperatorCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-cli-").FullName;

    private string Database => Path.Combine(_directory, "portal.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Org_create_prints_only_the_new_id_and_the_organization_exists()
    {
        var result = await RunAsync("org", "create", "--name", "Acme Widgets");

        Assert.Equal(0, result.ExitCode);
        var id = Assert.Single(result.StdoutLines);
        Assert.Matches("^or-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{16}$", id);
        Assert.Equal("Acme Widgets", await ScalarAsync("SELECT Name FROM Organizations WHERE Id = $p", id));
    }

    [Fact]
    public async Task App_create_prints_the_application_id_of_an_active_application_of_the_org()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();

        var result = await RunAsync("app", "create", "--org", orgId, "--name", "Mobile app");

        Assert.Equal(0, result.ExitCode);
        var appId = Assert.Single(result.StdoutLines);
        Assert.Matches("^ap-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{16}$", appId);
        Assert.Equal(orgId, await ScalarAsync("SELECT OrgId FROM Applications WHERE Id = $p AND IsActive = 1", appId));
    }

    [Fact]
    public async Task User_invite_creates_a_pending_user_with_a_queued_code_email()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();

        var result = await RunAsync("user", "invite", "--org", orgId, "--email", "New.Person@Example.com", "--kind", "CustomerEmployee");

        Assert.Equal(0, result.ExitCode);
        var userId = Assert.Single(result.StdoutLines);
        Assert.Matches("^us-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{16}$", userId);
        Assert.Equal("CustomerEmployee", await ScalarAsync("SELECT Kind FROM Users WHERE Id = $p AND IsRegistered = 0 AND IsActive = 1", userId));
        Assert.Equal("New.Person@Example.com", await ScalarAsync("SELECT ToAddress FROM OutboxMessages WHERE UserId = $p AND Status = 'Pending'", userId));
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM RegistrationCodes WHERE UserId = $p AND InvalidatedAt IS NULL", userId));
        Assert.Contains("queued", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_invite_defaults_to_an_end_user()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        var userId = (await RunAsync("user", "invite", "--org", orgId, "--email", "someone@example.com")).StdoutLines.Single();
        Assert.Equal("EndUser", await ScalarAsync("SELECT Kind FROM Users WHERE Id = $p", userId));
    }

    [Fact]
    public async Task A_second_invite_for_the_same_email_in_any_case_is_refused()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        await RunAsync("user", "invite", "--org", orgId, "--email", "jdoe@example.com");

        var result = await RunAsync("user", "invite", "--org", orgId, "--email", "JDoe@Example.COM");

        AssertRefused(result, "already has a user");
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM Users WHERE OrgId = $p", orgId));
    }

    [Fact]
    public async Task Admin_disable_locks_the_account_with_a_new_stamp_enable_lifts_it_and_remove_deletes_it()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        var adminId = (await RunWithPasswordAsync("a-long-enough-password", "admin", "create", "--org", orgId, "--email", "boss@acme.example")).StdoutLines.Single();
        var stamp = await ScalarAsync("SELECT SecurityStamp FROM AspNetUsers WHERE Id = $p", adminId);

        var disabled = await RunAsync("admin", "disable", "--email", "boss@acme.example");
        Assert.Equal([adminId], disabled.StdoutLines);
        Assert.NotNull(await ScalarAsync("SELECT LockoutEnd FROM AspNetUsers WHERE Id = $p AND LockoutEnabled = 1", adminId));
        Assert.NotEqual(stamp, await ScalarAsync("SELECT SecurityStamp FROM AspNetUsers WHERE Id = $p", adminId));

        Assert.Equal([adminId], (await RunAsync("admin", "enable", "--email", "boss@acme.example")).StdoutLines);
        Assert.Equal(DBNull.Value, await ScalarAsync("SELECT LockoutEnd FROM AspNetUsers WHERE Id = $p", adminId));

        Assert.Equal([adminId], (await RunAsync("admin", "remove", "--email", "boss@acme.example")).StdoutLines);
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM AspNetUsers WHERE Id = $p", adminId));
        Assert.Equal(3L, await ScalarAsync("SELECT COUNT(*) FROM AuditEvents WHERE SubjectId = $p AND Action IN ('admin.disabled', 'admin.enabled', 'admin.removed')", adminId));
        AssertRefused(await RunAsync("admin", "remove", "--email", "boss@acme.example"), "No admin has the email boss@acme.example");
    }

    [Theory]
    [InlineData("Option '--email' is required", "admin", "disable")]
    [InlineData("Option '--name' is required", "org", "create")]
    [InlineData("--name is required", "org", "create", "--name", "   ")]
    [InlineData("--name must be one line of text: no line breaks, tabs or other control characters.", "org", "create", "--name", "Acme\r\nForged log line")]
    [InlineData("--name must be one line of text: no line breaks, tabs or other control characters.", "org", "create", "--name", "Acme\tCorp")]
    [InlineData("--name must be one line of text: no line breaks, tabs or other control characters.", "app", "create", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--name", "App\nTwo")]
    [InlineData("Unrecognized command or argument '--colour'", "org", "create", "--name", "Acme", "--colour", "red")]
    [InlineData("Option '--org' is required", "app", "create", "--name", "App")]
    [InlineData("--org is required", "app", "create", "--org", "not-an-org", "--name", "App")]
    [InlineData("No organization has the id", "app", "create", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--name", "App")]
    [InlineData("--email is required", "user", "invite", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--email", "not-an-email")]
    [InlineData("--kind must be", "user", "invite", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--email", "a@example.com", "--kind", "Robot")]
    [InlineData("No organization has the id", "user", "invite", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--email", "a@example.com")]
    [InlineData("Unrecognized command or argument 'delete'", "org", "delete")]
    [InlineData("Required argument missing for option: '--name'", "org", "create", "--name")]
    [InlineData("Unrecognized command or argument '--password'", "admin", "create", "--platform", "--email", "ops@example.com", "--password", "on-the-command-line")]
    public async Task Bad_input_exits_non_zero_with_a_clear_message_and_prints_no_id(string message, params string[] args)
    {
        AssertRefused(await RunAsync(args), message);
    }

    [Fact]
    public async Task Admin_create_takes_the_password_from_standard_input_or_the_environment_and_refuses_none()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();

        var fromInput = await PortalProcess.RunWithInputAsync(_directory, Environment(), "a-long-enough-password\n", "admin", "create", "--org", orgId, "--email", "piped@acme.example");
        var fromEnvironment = await RunWithPasswordAsync("another-long-password", "admin", "create", "--platform", "--email", "ops@acme.example");
        var none = await PortalProcess.RunWithInputAsync(_directory, Environment(), "", "admin", "create", "--org", orgId, "--email", "nobody@acme.example");

        Assert.Equal(0, fromInput.ExitCode);
        Assert.Equal("piped@acme.example", await ScalarAsync("SELECT Email FROM AspNetUsers WHERE Id = $p", fromInput.StdoutLines.Single()));
        Assert.Equal(0, fromEnvironment.ExitCode);
        Assert.Equal("ops@acme.example", await ScalarAsync("SELECT Email FROM AspNetUsers WHERE Id = $p", fromEnvironment.StdoutLines.Single()));
        AssertRefused(none, "A password is required");
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM AspNetUsers WHERE NormalizedEmail = $p", "NOBODY@ACME.EXAMPLE"));
    }

    [Fact]
    public async Task Admin_create_queues_an_invitation_for_the_running_host_to_send_and_without_a_password_leaves_the_choice_to_the_admin()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();

        var invited = await RunAsync("admin", "create", "--org", orgId, "--email", "chooser@acme.example", "--no-password");
        var withPassword = await RunWithPasswordAsync("a-long-enough-password", "admin", "create", "--org", orgId, "--email", "given@acme.example");

        Assert.Equal(0, invited.ExitCode);
        var invitedId = invited.StdoutLines.Single();
        Assert.Equal(DBNull.Value, await ScalarAsync("SELECT PasswordHash FROM AspNetUsers WHERE Id = $p", invitedId) ?? DBNull.Value);
        Assert.Contains("invitation", invited.Stderr, StringComparison.Ordinal);
        foreach (var (id, address) in new[] { (invitedId, "chooser@acme.example"), (withPassword.StdoutLines.Single(), "given@acme.example") })
        {
            Assert.Equal(address, await ScalarAsync("SELECT ToAddress FROM OutboxMessages WHERE UserId = $p AND Kind = 'Account' AND Status = 'Pending' AND CodeId IS NULL", id));
            Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM AuditEvents WHERE SubjectId = $p AND Action = 'admin.invited'", id));
        }
    }

    [Fact]
    public async Task Help_lists_every_verb_on_standard_output()
    {
        var result = await RunAsync("admin", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var verb in new[] { "create", "disable", "enable", "remove" })
        {
            Assert.Contains(result.StdoutLines, l => l.TrimStart().StartsWith(verb, StringComparison.Ordinal));
        }
    }

    private static void AssertRefused(ProcessResult result, string message)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.StdoutLines);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    private async Task<object?> ScalarAsync(string sql, string parameter)
    {
        await using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", parameter);
        return await command.ExecuteScalarAsync();
    }

    private Task<ProcessResult> RunAsync(params string[] args) => PortalProcess.RunAsync(_directory, Environment(), args);

    private Task<ProcessResult> RunWithPasswordAsync(string password, params string[] args)
    {
        var environment = Environment();
        environment[Web.Cli.OperatorCli.PasswordVariable] = password;
        return PortalProcess.RunAsync(_directory, environment, args);
    }

    private Dictionary<string, string> Environment() => new() { ["ConnectionStrings__Portal"] = $"Data Source={Database}" };
}
