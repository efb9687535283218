using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// What someone holding the database's files (or a backup) learns about the codes the host has mailed: nothing. The
/// codes are sent through the real dispatcher to a real SMTP server; then the files are read as bytes and every Data
/// Protection payload in them is tried with the keys stored in the database itself.
/// </summary>
public abstract partial class DataAtRestTests(PortalFixture fixture)
{
    protected PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    [Fact]
    public async Task No_mailed_code_is_in_the_database_files_or_a_backup_and_no_payload_in_them_decrypts_with_the_keys_stored_beside_it()
    {
        var codes = await MailCodesAsync();

        // The keys as the database holds them, without anything kept outside it.
        var storedKeys = await Host.WithDbAsync(db => db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml!).ToListAsync());
        Assert.NotEmpty(storedKeys);
        var (withStoredKeysOnly, openKeyIds) = ProtectorFrom(storedKeys);

        // A payload the host protects now cannot be read with the stored keys alone.
        var probe = Host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(OutboxPayload.Purpose).Protect("PROBE-CODE-0000-0000");
        Assert.False(TryUnprotect(withStoredKeysOnly, probe, out _), "the keys stored in the database decrypt what the host protects");

        // One file at a time: PostgreSQL's WAL alone may be hundreds of megabytes.
        var files = (await Host.DatabaseFilesAsync()).ToList();
        Assert.NotEmpty(files);
        if (Host.Provider == DatabaseProvider.Sqlite)
        {
            files.Add(await BackupAsync());
        }

        foreach (var file in files)
        {
            var (name, bytes) = (Path.GetFileName(file), ReadShared(file));
            foreach (var code in codes)
            {
                foreach (var text in new[] { code, code.Replace("-", string.Empty, StringComparison.Ordinal) })
                {
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) < 0, $"{name} holds a mailed code");
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(text)) < 0, $"{name} holds a mailed code");
                }
            }

            // A payload opens only with the key it names: those whose key the stored keys cannot open are settled (this
            // also passes over other databases' payloads in PostgreSQL's WAL, which the whole cluster shares).
            foreach (var payload in Payloads([(name, bytes)]).Where(p => KeyIdOf(p) is { } id && openKeyIds.Contains(id)))
            {
                Assert.False(TryUnprotect(withStoredKeysOnly, payload, out var plain), $"{name}: a payload decrypts with the stored keys to {plain}");
            }
        }
    }

    /// <summary>Invites three users and resends each a code; returns the six codes the SMTP server received, once every message is marked sent.</summary>
    protected async Task<List<string>> MailCodesAsync()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var users = new List<(string Email, string Id)>();
        for (var i = 0; i < 3; i++)
        {
            var email = PortalFactory.NewEmail($"rest{i}");
            users.Add((email, await Host.InviteAsync(orgId, email)));
        }

        foreach (var (email, _) in users)
        {
            await Smtp.WaitForMessagesAsync(email);
        }

        using var client = Host.CreateClient();
        foreach (var (email, _) in users)
        {
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        }

        var codes = new List<string>();
        foreach (var (email, _) in users)
        {
            codes.AddRange((await Smtp.WaitForMessagesAsync(email, 2)).Select(m => m.Code!));
        }

        Assert.Equal(6, codes.Distinct(StringComparer.Ordinal).Count());
        foreach (var (_, userId) in users)
        {
            await Wait.WaitUntilAsync(
                async () => (await Host.OutboxAsync(userId)).All(m => m.Status == OutboxStatus.Sent && m.ProtectedPayload is null),
                "every message is marked sent");
        }

        return codes;
    }

    protected Task<List<(string Name, byte[] Bytes)>> ReadAllAsync() => ReadAllAsync(Host);

    /// <summary>Whether the host itself, with every key it has, opens an outbox payload left in its database file or WAL.</summary>
    internal static async Task<bool> HostOpensAPayloadAsync(PortalFactory host)
    {
        var protector = host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(OutboxPayload.Purpose);
        return Payloads(await ReadAllAsync(host)).Any(p => TryUnprotect(protector, p, out _));
    }

    protected static async Task<List<(string Name, byte[] Bytes)>> ReadAllAsync(PortalFactory host)
    {
        var files = await host.DatabaseFilesAsync();
        Assert.NotEmpty(files);
        return files.Select(f => (Path.GetFileName(f), ReadShared(f))).ToList();
    }

    /// <summary>A backup made by the operator verb while the host runs; returns its file.</summary>
    private async Task<string> BackupAsync()
    {
        var file = Path.Combine(Host.DataDirectory, $"backup-{Guid.NewGuid():N}.db");
        var result = await PortalProcess.RunAsync(
            Host.DataDirectory,
            new Dictionary<string, string> { ["ConnectionStrings__Portal"] = Host.ConnectionString },
            "db",
            "backup",
            "--to",
            file);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return file;
    }

    /// <summary>
    /// Everything in the bytes that may be a Data Protection payload: each run of base64url that starts with its magic
    /// header, cut at every length a payload can have (a stored value may run on into the next column's text, which is
    /// base64url too). A payload is the magic header, the key id, the key modifier and the IV (16 bytes each after the
    /// 4-byte header), whole AES blocks of ciphertext and a 32-byte HMAC: 84 + 16n bytes (a code, 19 characters, takes
    /// two blocks; up to four are tried).
    /// </summary>
    protected static IEnumerable<string> Payloads(IEnumerable<(string Name, byte[] Bytes)> files) =>
        files.SelectMany(f => ProtectedPayload().Matches(Encoding.Latin1.GetString(f.Bytes)).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .SelectMany(run => Enumerable.Range(1, 4)
                .Select(blocks => ((84 + (16 * blocks)) * 4 + 2) / 3)
                .Where(length => length <= run.Length)
                .Select(length => run[..length]))
            .Distinct(StringComparer.Ordinal);

    /// <summary>The id of the key a payload names (after the 4-byte magic header), or null when it is no payload.</summary>
    private static Guid? KeyIdOf(string payload)
    {
        try
        {
            var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(payload);
            return bytes.Length >= 20 ? new Guid(bytes.AsSpan(4, 16)) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A protector with only these stored keys, and the ids of the keys among them whose secret it can read.</summary>
    private static (IDataProtector Protector, HashSet<Guid> OpenKeyIds) ProtectorFrom(IReadOnlyList<string> keyXml)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection()
            .SetApplicationName("RegistrationPortal")
            .DisableAutomaticKeyGeneration()
            .AddKeyManagementOptions(o => o.XmlRepository = new StoredKeys(keyXml.Select(XElement.Parse).ToList()));
        var provider = services.BuildServiceProvider();
        var open = new HashSet<Guid>();
        foreach (var key in provider.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>().GetAllKeys())
        {
            try
            {
                _ = key.Descriptor;
                open.Add(key.KeyId);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // Its secret is encrypted with a certificate the database does not hold.
            }
        }

        return (provider.GetDataProtector(OutboxPayload.Purpose), open);
    }

    protected static bool TryUnprotect(IDataProtector protector, string payload, out string? plain)
    {
        try
        {
            plain = protector.Unprotect(payload);
            return true;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException)
        {
            plain = null;
            return false;
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    // "CfDJ8" is the base64url of Data Protection's magic header 09 F0 C9 F0; a payload carrying a code is far longer.
    [GeneratedRegex("CfDJ8[A-Za-z0-9_-]{60,}")]
    private static partial Regex ProtectedPayload();

    private sealed class StoredKeys(IReadOnlyCollection<XElement> elements) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() => elements;

        public void StoreElement(XElement element, string friendlyName) => throw new InvalidOperationException("read only");
    }
}

public sealed class DataAtRestTestsOnSqlite(MailPortalFixture fixture) : DataAtRestTests(fixture), IClassFixture<MailPortalFixture>
{
    /// <summary>
    /// SQLite keeps an erased value in the page's free space and the old page in the WAL; the host overwrites it, so
    /// shortly after sending not even the host itself, with every key it has, finds a sent code's payload in the files.
    /// (PostgreSQL keeps dead rows and its WAL until it recycles them; there the encrypted keys are the protection.)
    /// </summary>
    [Fact]
    public async Task A_sent_messages_payload_is_overwritten_in_the_database_file_and_its_wal()
    {
        await MailCodesAsync();

        await Wait.WaitUntilAsync(
            async () => !await HostOpensAPayloadAsync(Host),
            "no sent message's payload is left in the database file or its WAL");
    }

    /// <summary>
    /// The checkpoints that cut erased payloads out of the WAL are spaced out (<c>Email:ScrubInterval</c> apart at least,
    /// here the default ten seconds), never stopped: codes mailed that far apart each leave the files soon after they are sent.
    /// </summary>
    [Fact]
    public async Task Payloads_erased_seconds_apart_each_leave_the_database_file_and_its_wal()
    {
        var time = StillClock.OnWholeMillisecond();
        var interval = new EmailOptions().ScrubInterval;
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:ScrubInterval"] = interval.ToString() },
            services: s => s.AddSingleton<TimeProvider>(time));
        var orgId = await host.CreateOrganizationAsync();
        for (var i = 0; i < 3; i++)
        {
            var email = PortalFactory.NewEmail($"apart{i}");
            var userId = await host.InviteAsync(orgId, email);
            Assert.Single(await smtp.WaitForMessagesAsync(email));
            await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");
            await Wait.WaitUntilAsync(
                async () => !await HostOpensAPayloadAsync(host),
                $"invitation {i}'s payload is gone from the database file and its WAL");
            time.Advance(interval + TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// The same for a message the dispatcher gave up on (the server refused it at its only attempt): its payload, erased
    /// when it is marked failed, is soon gone from the file and the WAL too, though nothing was sent.
    /// </summary>
    [Fact]
    public async Task A_payload_given_up_on_is_overwritten_in_the_database_file_and_its_wal()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        smtp.SetRule("*", SmtpRule.RefuseRcpt);
        await using var host = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:MaxAttempts"] = "1" });
        var (_, _, userId) = await host.CreatePendingUserAsync("given-up");
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Failed, ProtectedPayload: null }], "the invitation is marked failed");

        await Wait.WaitUntilAsync(
            async () => !await HostOpensAPayloadAsync(host),
            "the failed message's payload is gone from the database file and its WAL");
    }

    /// <summary>
    /// A reader on an old snapshot (a backup's <c>VACUUM INTO</c>, a long report) holds back the checkpoint that cuts
    /// sent payloads out of the WAL. Writes do not wait for it meanwhile: each invitation is committed and mailed at
    /// once. Once the reader is gone, a later pass finishes the checkpoint and the payloads are gone from the files.
    /// </summary>
    [Fact]
    public async Task A_reader_on_an_old_snapshot_stalls_no_write_and_the_payloads_leave_the_wal_once_it_ends()
    {
        var log = new ErrorLog(LogLevel.Debug);
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { [$"Logging:LogLevel:{typeof(OutboxDispatcher).FullName}"] = "Debug" },
            services: s => s.AddSingleton<ILoggerProvider>(log));
        var orgId = await host.CreateOrganizationAsync();

        await using (var reader = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=False"))
        {
            await reader.OpenAsync();
            await using var snapshot = reader.BeginTransaction(deferred: true);
            await using (var read = reader.CreateCommand())
            {
                read.CommandText = "SELECT count(*) FROM OutboxMessages";
                await read.ExecuteScalarAsync();
            }

            for (var i = 0; i < 4; i++)
            {
                // Each takes milliseconds; a checkpoint waiting for the reader would hold it for seconds.
                var email = PortalFactory.NewEmail($"snapshot{i}");
                var userId = await host.InviteAsync(orgId, email).WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Single(await smtp.WaitForMessagesAsync(email));
                await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");
            }

            // A checkpoint tried after the last payload was erased, and held back: the erased payloads are still to be cut.
            var heldBack = () => log.Entries.Count(e => e.Contains("checkpoint after erasing payloads was held back", StringComparison.Ordinal));
            var before = heldBack();
            await Wait.WaitUntilAsync(() => Task.FromResult(heldBack() > before), "the dispatcher tries again to checkpoint while the reader holds its snapshot");
            Assert.True(await HostOpensAPayloadAsync(host));
        }

        await Wait.WaitUntilAsync(
            async () => !await HostOpensAPayloadAsync(host),
            "no sent message's payload is left in the database file or its WAL");
    }
}

/// <summary>
/// The database fails the checkpoint that cuts erased payloads out of the WAL (an I/O error, as a failing disk gives):
/// the failure is logged, the payloads wait in the WAL, and a later pass cuts them once the database answers again.
/// </summary>
public sealed class FailedCheckpointTests
{
    [Fact]
    public async Task A_failed_checkpoint_is_logged_and_a_later_pass_cuts_the_payloads_out()
    {
        var log = new ErrorLog(LogLevel.Warning);
        var faults = new FailingCheckpoint { Failing = true };
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:PollInterval"] = "00:00:01" },
            services: s => s
                .AddSingleton<ILoggerProvider>(log)
                .ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(faults)));
        var (_, email, userId) = await host.CreatePendingUserAsync("failed-checkpoint");
        Assert.Single(await smtp.WaitForMessagesAsync(email));
        await Wait.WaitUntilAsync(async () => await host.OutboxAsync(userId) is [{ Status: OutboxStatus.Sent }], "the invitation is marked sent");

        var failed = $"Warning {typeof(OutboxDispatcher).FullName}: The WAL checkpoint after erasing payloads failed (SqliteException); it is tried again on a later pass ";
        await Wait.WaitUntilAsync(() => Task.FromResult(log.Entries.Contains(failed)), "the failed checkpoint is logged");
        Assert.True(await DataAtRestTests.HostOpensAPayloadAsync(host));

        faults.Failing = false;
        await Wait.WaitUntilAsync(
            async () => !await DataAtRestTests.HostOpensAPayloadAsync(host),
            "the sent message's payload is gone from the database file and its WAL");
    }

    /// <summary>
    /// Fails the opening of the connection the host checkpoints on (<see cref="WalCheckpointer"/>'s; its commands are the
    /// connection's own, which no command interceptor sees), as SQLite answers on a disk with I/O errors. The connection
    /// is kept once open, so it fails from the start.
    /// </summary>
    private sealed class FailingCheckpoint : DbConnectionInterceptor
    {
        private volatile bool _failing;

        public bool Failing
        {
            get => _failing;
            set => _failing = value;
        }

        public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (_failing && new StackTrace().ToString().Contains(nameof(WalCheckpointer), StringComparison.Ordinal))
            {
                throw new SqliteException("disk I/O error", 10);
            }

            return base.ConnectionOpeningAsync(connection, eventData, result, cancellationToken);
        }
    }
}

public sealed class DataAtRestTestsOnPostgres(PostgresMailPortalFixture fixture) : DataAtRestTests(fixture), IClassFixture<PostgresMailPortalFixture>;

/// <summary>A database from before key encryption: its keys were stored in the clear.</summary>
public sealed class UnencryptedKeysTests
{
    [Fact]
    public async Task A_database_with_keys_stored_in_the_clear_gets_an_encrypted_default_key_at_the_next_start_and_still_reads_what_the_old_key_protected()
    {
        var data = Directory.CreateTempSubdirectory("regportal-legacy-keys-");
        try
        {
            Dictionary<string, string> secrets;
            await using (var first = new PortalFactory(settings: Queued, dataDirectory: data.FullName))
            {
                var secretsProtector = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ServerSecretsPurpose);
                secrets = (await first.WithDbAsync(db => db.ServerSecrets.AsNoTracking().ToListAsync()))
                    .ToDictionary(k => k.Name, k => secretsProtector.Unprotect(k.ProtectedValue));
            }

            // The key ring as an earlier version left it: one key, stored in the clear, and a queued code it protected.
            var legacy = new LegacyKeys();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddDataProtection()
                .SetApplicationName("RegistrationPortal")
                .AddKeyManagementOptions(o => o.XmlRepository = legacy);
            await using (var provider = services.BuildServiceProvider())
            {
                var queued = provider.GetDataProtector(OutboxPayload.Purpose).Protect("OLD0-CODE-0000-0000");
                var element = Assert.Single(legacy.GetAllElements());
                Assert.DoesNotContain(element.Descendants(), e => e.Name.LocalName == "encryptedSecret");
                await using var connection = new SqliteConnection($"Data Source={Path.Combine(data.FullName, "portal.db")};Pooling=False");
                await connection.OpenAsync();
                await using var replace = connection.CreateCommand();
                replace.CommandText = "DELETE FROM DataProtectionKeys; INSERT INTO DataProtectionKeys (FriendlyName, Xml) VALUES ($name, $xml);";
                replace.Parameters.AddWithValue("$name", "key-" + (string)element.Attribute("id")!);
                replace.Parameters.AddWithValue("$xml", element.ToString(SaveOptions.DisableFormatting));
                await replace.ExecuteNonQueryAsync();
                foreach (var (name, value) in secrets)
                {
                    await using var reprotect = connection.CreateCommand();
                    reprotect.CommandText = "UPDATE ServerSecrets SET ProtectedValue = $value WHERE Name = $name";
                    reprotect.Parameters.AddWithValue("$name", name);
                    reprotect.Parameters.AddWithValue("$value", provider.GetDataProtector(ServerSecretsPurpose).Protect(value));
                    Assert.Equal(1, await reprotect.ExecuteNonQueryAsync());
                }

                await using var second = new PortalFactory(settings: Queued, dataDirectory: data.FullName);
                _ = second.Server;
                var protector = second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(OutboxPayload.Purpose);

                // What the old key protected still opens; what is protected now names a key stored encrypted.
                Assert.Equal("OLD0-CODE-0000-0000", protector.Unprotect(queued));
                var stored = await second.WithDbAsync(db => db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml!).ToListAsync());
                var encrypted = stored.Select(XElement.Parse)
                    .Where(k => k.Descendants().Any(e => e.Name.LocalName == "encryptedSecret"))
                    .Select(k => Guid.Parse((string)k.Attribute("id")!))
                    .ToHashSet();
                Assert.NotEmpty(encrypted);
                var now = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protector.Protect("NEW0-CODE-0000-0000"));
                Assert.Contains(new Guid(now.AsSpan(4, 16)), encrypted);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
        }
    }

    private const string ServerSecretsPurpose = "RegistrationPortal.ServerSecrets";

    private static Dictionary<string, string?> Queued => new() { ["Email:DispatcherEnabled"] = "false" };

    private sealed class LegacyKeys : IXmlRepository
    {
        private readonly List<XElement> _elements = [];

        public IReadOnlyCollection<XElement> GetAllElements() => _elements.ToList();

        public void StoreElement(XElement element, string friendlyName) => _elements.Add(element);
    }
}
