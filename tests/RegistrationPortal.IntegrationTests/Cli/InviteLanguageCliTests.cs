using Microsoft.Data.Sqlite;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Cli;

/// <summary><c>user invite --language</c>, run as an operator runs it: the host's own executable in a separate process.</summary>
public sealed class InviteLanguageCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-cli-lang-").FullName;

    private string Database => Path.Combine(_directory, "portal.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task User_invite_sets_the_language_of_the_persons_emails_and_refuses_one_it_does_not_speak()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();

        var invited = await RunAsync("user", "invite", "--org", orgId, "--email", "marie@example.com", "--language", "French");
        var plain = await RunAsync("user", "invite", "--org", orgId, "--email", "joe@example.com");
        var refused = await RunAsync("user", "invite", "--org", orgId, "--email", "kli@example.com", "--language", "tlh");

        Assert.Equal(0, invited.ExitCode);
        Assert.Equal("fr", await ScalarAsync("SELECT Language FROM Users WHERE Id = $p", invited.StdoutLines.Single()));
        Assert.Equal("en", await ScalarAsync("SELECT Language FROM Users WHERE Id = $p", plain.StdoutLines.Single()));
        Assert.Equal("Invitation", await ScalarAsync("SELECT Kind FROM OutboxMessages WHERE UserId = $p", invited.StdoutLines.Single()));
        Assert.Equal(2, refused.ExitCode);
        Assert.Empty(refused.StdoutLines);
        Assert.Contains("--language must be one of en, fr, de, es.", refused.Stderr, StringComparison.Ordinal);
        Assert.Null(await ScalarAsync("SELECT Id FROM Users WHERE Username = $p", "kli@example.com"));
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

    private Task<ProcessResult> RunAsync(params string[] args) =>
        PortalProcess.RunAsync(_directory, new Dictionary<string, string> { ["ConnectionStrings__Portal"] = $"Data Source={Database}" }, args);
}
