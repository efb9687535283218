using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Cli;

/// <summary>The <c>service-account</c> verbs, run as an operator runs them: the host's own executable in a separate process.</summary>
public sealed class ServiceAccountCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-sa-cli-").FullName;

    private string Database => Path.Combine(_directory, "portal.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Create_prints_the_id_the_credential_id_and_the_token_and_stores_only_the_tokens_hash()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        var keyFile = await WriteAsync("pub.pem", ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem());

        var result = await RunAsync("service-account", "create", "--org", orgId, "--name", "HR sync", "--public-key", keyFile);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.StdoutLines.Length);
        var (id, credId, token) = (result.StdoutLines[0], result.StdoutLines[1], result.StdoutLines[2]);
        Assert.Matches("^sa-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{16}$", id);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", credId);
        Assert.Matches(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$", token);
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM ServiceAccounts WHERE Id = $p AND CanWrite = 1 AND IsActive = 1", id));
        Assert.Equal(credId, await ScalarAsync("SELECT CredId FROM ServiceAccounts WHERE Id = $p", id));
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM AuditEvents WHERE Action = 'service_account.created' AND SubjectId = $p", id));

        // The token is nowhere at rest: not whole, and not its random part.
        SqliteConnection.ClearAllPools();
        var stored = string.Concat(new[] { Database, Database + "-wal" }.Where(File.Exists).Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.DoesNotContain(token.Split('.')[2], stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_makes_an_account_that_may_not_write_and_deactivate_and_reactivate_flip_it()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        var keyFile = await WriteAsync("pub.pem", ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem());
        var id = (await RunAsync("service-account", "create", "--org", orgId, "--name", "Reporting", "--public-key", keyFile, "--read-only")).StdoutLines[0];
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM ServiceAccounts WHERE Id = $p AND CanWrite = 0", id));

        Assert.Equal([id], (await RunAsync("service-account", "deactivate", "--id", id)).StdoutLines);
        Assert.Equal(0L, await ScalarAsync("SELECT IsActive FROM ServiceAccounts WHERE Id = $p", id));
        Assert.Equal([id], (await RunAsync("service-account", "reactivate", "--id", id)).StdoutLines);
        Assert.Equal(1L, await ScalarAsync("SELECT IsActive FROM ServiceAccounts WHERE Id = $p", id));
        Assert.Equal(2L, await ScalarAsync("SELECT COUNT(*) FROM AuditEvents WHERE SubjectId = $p AND Action IN ('service_account.deactivated', 'service_account.reactivated')", id));
    }

    [Fact]
    public async Task Bad_input_exits_non_zero_with_a_clear_message_and_prints_nothing()
    {
        var orgId = (await RunAsync("org", "create", "--name", "Acme")).StdoutLines.Single();
        var p256 = await WriteAsync("p256.pem", ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem());
        var rsa = await WriteAsync("rsa.pem", RSA.Create(2048).ExportSubjectPublicKeyInfoPem());
        var p384 = await WriteAsync("p384.pem", ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportSubjectPublicKeyInfoPem());

        AssertRefused(await RunAsync("service-account", "create", "--org", orgId, "--name", "X", "--public-key", rsa), "--public-key: That is not the PEM of an EC public key");
        AssertRefused(await RunAsync("service-account", "create", "--org", orgId, "--name", "X", "--public-key", p384), "P-256");
        AssertRefused(await RunAsync("service-account", "create", "--org", orgId, "--name", "X", "--public-key", Path.Combine(_directory, "missing.pem")), "cannot read");
        AssertRefused(await RunAsync("service-account", "create", "--org", "or-aaaaa-bbbbb-cccccccccccccccc", "--name", "X", "--public-key", p256), "No organization has the id");
        AssertRefused(await RunAsync("service-account", "create", "--org", orgId, "--public-key", p256), "--name");
        AssertRefused(await RunAsync("service-account", "deactivate", "--id", "sa-aaaaa-bbbbb-cccccccccccccccc"), "No service account has the id");
        AssertRefused(await RunAsync("service-account", "rotate"), "Unrecognized command or argument 'rotate'");
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM ServiceAccounts WHERE OrgId = $p", orgId));
    }

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, text);
        return path;
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

    private Task<ProcessResult> RunAsync(params string[] args) =>
        PortalProcess.RunAsync(_directory, new Dictionary<string, string> { ["ConnectionStrings__Portal"] = $"Data Source={Database}" }, args);
}
