using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>No throttle and no dispatcher: every resend issues a code and its encrypted copy stays in the outbox.</summary>
public sealed class BackupPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Registration:ResendCooldown"] = "00:00:00",
        ["Registration:MaxResendsPerHour"] = "1000000",
        ["Email:DispatcherEnabled"] = "false",
    };
}

/// <summary><c>db backup</c> run as a separate process while the host takes a stream of resends, and <c>db restore</c>.</summary>
public sealed class BackupTests(BackupPortalFixture fixture) : IClassFixture<BackupPortalFixture>, IDisposable
{
    private const int Users = 40;
    private const int Clients = 4;

    private readonly PortalFactory _host = fixture.Factory;
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-backup-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_backup_taken_during_resends_holds_every_code_committed_before_it_began_and_a_restored_copy_serves_the_same_users()
    {
        var orgId = await _host.CreateOrganizationAsync();
        var users = new List<(string Email, string UserId)>();
        for (var i = 0; i < Users; i++)
        {
            var email = PortalFactory.NewEmail($"backup{i}");
            users.Add((email, await _host.InviteAsync(orgId, email)));
        }

        var backupFile = Path.Combine(_directory, "copy.db");
        var answered = new ConcurrentBag<(string UserId, long At)>();
        long backupStarted = 0;
        using var stop = new CancellationTokenSource();
        using var client = _host.CreateClient();
        var stream = Enumerable.Range(0, Clients).Select(worker => Task.Run(async () =>
        {
            // Bounded: at most 20,000 requests per worker, stopped as soon as the backup has finished.
            for (var n = worker; n < 20_000 * Clients && !stop.IsCancellationRequested; n += Clients)
            {
                var (email, userId) = users[n % Users];
                using var response = await client.ResendAsync(orgId, email);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answered.Add((userId, Stopwatch.GetTimestamp()));
            }
        })).ToList();

        await Wait.WaitUntilAsync(() => answered.Count >= Users, "the stream of resends is under way");
        backupStarted = Stopwatch.GetTimestamp();
        var backup = await PortalProcess.RunAsync(_directory, Cli(_host.DatabasePath), "db", "backup", "--to", backupFile);
        var backupEnded = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await Task.WhenAll(stream);

        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Equal(backupFile, Assert.Single(backup.StdoutLines));
        Assert.Contains("intact", backup.Stderr, StringComparison.Ordinal);
        Assert.True(answered.Any(a => a.At > backupStarted && a.At < backupEnded), "resends were answered while the backup ran");

        // Every resend that answered before the backup began is in the copy: the user's codes there are at least the
        // invitation plus those resends, and every code in the copy is one the host issued.
        var copy = await CodesAsync(backupFile);
        var live = (await _host.WithDbAsync(db => db.RegistrationCodes.AsNoTracking().Select(c => c.Id).ToListAsync())).ToHashSet();
        Assert.Subset(live, copy.Select(c => c.Id).ToHashSet());
        // A public resend is answered once it is recorded and its code is issued moments later, so one answered just
        // before the backup began may be in the copy as a recorded request, which the restored host then resolves. And
        // requests of one user resolved together are answered by one code (a code issued after a request answers it),
        // so a user's answered resends give at least one code, not one each.
        var recorded = await RecordedResendsAsync(backupFile);
        foreach (var (email, userId) in users)
        {
            var before = answered.Count(a => a.UserId == userId && a.At < backupStarted);
            var inCopy = copy.Count(c => c.UserId == userId);
            var waiting = recorded.GetValueOrDefault(RegistrationPortal.Web.Shared.EmailAddress.Normalize(email));
            Assert.True(inCopy + waiting >= 1 + Math.Min(before, 1), $"user {userId}: {inCopy} codes and {waiting} recorded resends in the copy, {before} resends answered before the backup began");
            Assert.Single(copy, c => c.UserId == userId && c.Valid);
        }

        // Restore the copy as the database of a new host: its users' latest codes work there.
        var restoredDirectory = Path.Combine(_directory, "restored");
        Directory.CreateDirectory(restoredDirectory);
        var restore = await PortalProcess.RunAsync(_directory, Cli(Path.Combine(restoredDirectory, "portal.db")), "db", "restore", "--from", backupFile);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.Empty(restore.StdoutLines);

        // The copy's Data Protection keys open only with the certificate that encrypted them, which is not in the copy.
        await using var restored = new PortalFactory(
            settings: new Dictionary<string, string?>
            {
                ["Email:DispatcherEnabled"] = "false",
                ["DataProtection:KeyEncryption:CertificatePath"] = Path.Combine(_host.DataDirectory, KeyEncryption.DefaultFileName),
            },
            dataDirectory: restoredDirectory);
        using var restoredClient = restored.CreateClient();

        // The restored host resolves the resends recorded in the copy, each replacing its user's code; a user with none
        // keeps the code the copy holds.
        await Wait.WaitUntilAsync(
            async () => await restored.WithDbAsync(db => db.PublicRequests.CountAsync()) == 0,
            "the restored host resolved the resends recorded in the copy");
        foreach (var (email, userId) in users.Take(5))
        {
            var code = await restored.WithDbAsync(db => db.RegistrationCodes.AsNoTracking()
                .Where(c => c.UserId == userId && c.UsedAt == null && c.InvalidatedAt == null).Select(c => c.Id).SingleAsync());
            if (!recorded.ContainsKey(RegistrationPortal.Web.Shared.EmailAddress.Normalize(email)))
            {
                Assert.Equal(copy.Single(c => c.UserId == userId && c.Valid).Id, code);
            }

            var payload = await restored.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.CodeId == code).Select(m => m.ProtectedPayload).SingleAsync());
            var plaintext = restored.UnprotectPayload(payload!);
            using var init = await restoredClient.PostAsJsonAsync("/auth/registration/init", new { username = email, registrationCode = plaintext, orgId });
            Assert.True(init.StatusCode == HttpStatusCode.OK, $"init on the restored copy: {(int)init.StatusCode} {await init.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Restore_refuses_while_the_host_has_the_database_open_and_keeps_it_untouched()
    {
        var before = await _host.WithDbAsync(db => db.Organizations.CountAsync());
        var backupFile = Path.Combine(_directory, "copy.db");
        var backup = await PortalProcess.RunAsync(_directory, Cli(_host.DatabasePath), "db", "backup", "--to", backupFile);
        Assert.Equal(0, backup.ExitCode);

        var restore = await PortalProcess.RunAsync(_directory, Cli(_host.DatabasePath), "db", "restore", "--from", backupFile);

        Assert.Equal(2, restore.ExitCode);
        Assert.Empty(restore.StdoutLines);
        Assert.Contains("in use", restore.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", restore.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await _host.WithDbAsync(db => db.Organizations.CountAsync()));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(_host.DatabasePath)!, "portal.db.before-restore-*"));
    }

    [Fact]
    public async Task Backup_never_overwrites_a_file()
    {
        var existing = Path.Combine(_directory, "existing.db");
        await File.WriteAllTextAsync(existing, "keep me");

        var backup = await PortalProcess.RunAsync(_directory, Cli(_host.DatabasePath), "db", "backup", "--to", existing);

        Assert.Equal(2, backup.ExitCode);
        Assert.Empty(backup.StdoutLines);
        Assert.Contains("already exists", backup.Stderr, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
    }

    [Fact]
    public async Task Restore_replaces_a_stopped_database_and_keeps_the_previous_file()
    {
        var database = Path.Combine(_directory, "stopped", "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        var backupFile = Path.Combine(_directory, "copy.db");
        Assert.Equal(0, (await PortalProcess.RunAsync(_directory, Cli(_host.DatabasePath), "db", "backup", "--to", backupFile)).ExitCode);
        var orgInOther = (await PortalProcess.RunAsync(_directory, Cli(database), "org", "create", "--name", "Only in the replaced file")).StdoutLines.Single();

        var restore = await PortalProcess.RunAsync(_directory, Cli(database), "db", "restore", "--from", backupFile);

        Assert.True(restore.ExitCode == 0, restore.Stderr);
        var previous = Assert.Single(restore.StdoutLines);
        Assert.StartsWith(database + ".before-restore-", previous, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(previous, $"SELECT COUNT(*) FROM Organizations WHERE Id = '{orgInOther}'"));
        Assert.Equal(0L, await ScalarAsync(database, $"SELECT COUNT(*) FROM Organizations WHERE Id = '{orgInOther}'"));
        Assert.Equal("ok", await ScalarAsync(database, "PRAGMA integrity_check"));

        // The restored database's trail ends with the restore, the operator as actor, the files named without their folder.
        Assert.Equal(
            $"database.restored|System|db restore|from copy.db; the replaced database is kept as {Path.GetFileName(previous)}",
            await ScalarAsync(database, "SELECT Action || '|' || ActorKind || '|' || ActorId || '|' || Details FROM AuditEvents ORDER BY Id DESC LIMIT 1"));
    }

    private static Dictionary<string, string> Cli(string database) => new() { ["ConnectionStrings__Portal"] = $"Data Source={database}" };

    private static async Task<List<(Guid Id, string UserId, bool Valid)>> CodesAsync(string file)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id, UserId, UsedAt IS NULL AND InvalidatedAt IS NULL FROM RegistrationCodes";
        await using var reader = await command.ExecuteReaderAsync();
        var codes = new List<(Guid, string, bool)>();
        while (await reader.ReadAsync())
        {
            codes.Add((reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2)));
        }

        return codes;
    }

    /// <summary>The copy's recorded public resends not yet resolved, by normalized email.</summary>
    private static async Task<Dictionary<string, int>> RecordedResendsAsync(string file)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT NormalizedUsername, COUNT(*) FROM PublicRequests WHERE Kind = 'Resend' GROUP BY NormalizedUsername";
        await using var reader = await command.ExecuteReaderAsync();
        var recorded = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            recorded[reader.GetString(0)] = reader.GetInt32(1);
        }

        return recorded;
    }

    private static async Task<object?> ScalarAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
