using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;
using RegistrationPortal.Web;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// The real host on its own database: a SQLite file in its data folder, or on PostgreSQL a database of its own in the
/// test cluster (named after the data folder, so a second factory on the same folder is the same database). Every setting goes through <c>UseSetting</c>, because Program.cs reads
/// some of them while it builds, before <c>ConfigureAppConfiguration</c> callbacks would apply.
/// </summary>
public sealed class PortalFactory : WebApplicationFactory<PortalMarker>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDirectory;

    /// <param name="dataDirectory">Where the database lives; a new temporary folder (removed on dispose) when null.
    /// Pass the same folder to a second factory to restart the host on the same database.</param>
    public PortalFactory(
        SmtpServer? smtp = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? dataDirectory = null,
        DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        _ownsDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("regportal-it-").FullName;
        Provider = provider;
        _services = services;
        ConnectionString = provider == DatabaseProvider.Postgres
            ? TestPostgres.EnsureDatabase(TestPostgres.DatabaseNameFor(DataDirectory))
            : $"Data Source={DatabasePath}";
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Database:Provider"] = provider.ToString(),
            ["ConnectionStrings:Portal"] = ConnectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Seed:Demo:Enabled"] = "false",
            ["Api:RateLimit:PermitLimit"] = "1000000",
            ["Identity:SignInPermitLimit"] = "1000000",
            ["Email:PickupDirectory"] = Path.Combine(DataDirectory, "pickup"),
            ["Email:RetryBaseDelay"] = "00:00:00.200",
            ["Email:RetryMaxDelay"] = "00:00:01",
            ["Email:PollInterval"] = "00:00:00.200",
            // Tests wait for erased payloads to leave the WAL: a second between the checkpoints that cut them, not ten.
            ["Email:ScrubInterval"] = "00:00:01",

            // Made on first start; hosts on one database (and its verbs run as processes) must all use this one file.
            ["DataProtection:KeyEncryption:CertificatePath"] = KeyEncryptionCertificatePath,
        };
        if (smtp is not null)
        {
            _settings["Email:Smtp:Host"] = "127.0.0.1";
            _settings["Email:Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture);
            _settings["Email:Smtp:Security"] = "None";
            _settings["Email:Smtp:Timeout"] = "00:00:05";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    public DatabaseProvider Provider { get; }

    /// <summary>The database's connection string, for another host (or process) on the same database.</summary>
    public string ConnectionString { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "portal.db");

    /// <summary>The certificate that encrypts the database's Data Protection keys: another process on the same database needs it too.</summary>
    public string KeyEncryptionCertificatePath => Path.Combine(DataDirectory, KeyEncryption.DefaultFileName);

    /// <summary>
    /// The files that hold the database at rest: the SQLite file and its WAL, or on PostgreSQL (after a checkpoint, so
    /// every page is on disk) this database's files and the cluster's write-ahead log.
    /// </summary>
    public async Task<IReadOnlyList<string>> DatabaseFilesAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
        {
            return new[] { DatabasePath, DatabasePath + "-wal" }.Where(File.Exists).ToList();
        }

        await using var admin = new Npgsql.NpgsqlConnection(TestPostgres.AdminConnectionString);
        await admin.OpenAsync();
        await using (var checkpoint = new Npgsql.NpgsqlCommand("CHECKPOINT", admin))
        {
            await checkpoint.ExecuteNonQueryAsync();
        }

        await using var where = new Npgsql.NpgsqlCommand("SELECT current_setting('data_directory'), oid::text FROM pg_database WHERE datname = @name", admin);
        where.Parameters.AddWithValue("name", new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Database!);
        await using var reader = await where.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var dataDirectory = reader.GetString(0);
        var files = Directory.GetFiles(Path.Combine(dataDirectory, "base", reader.GetString(1)))
            .Concat(Directory.GetFiles(Path.Combine(dataDirectory, "pg_wal")))
            .ToList();
        return files;
    }

    /// <summary>Serves on a real loopback port (Kestrel) and returns its base address.</summary>
    public Uri StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Only Development serves the build's static web assets (MudBlazor's CSS and scripts, blazor.web.js) from
        // their packages by itself; a browser needs them in the Testing environment too.
        builder.UseStaticWebAssets();
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Provider == DatabaseProvider.Postgres)
        {
            Npgsql.NpgsqlConnection.ClearPool(new Npgsql.NpgsqlConnection(ConnectionString));
            if (_ownsDirectory)
            {
                await TestPostgres.DropDatabaseAsync(TestPostgres.DatabaseNameFor(DataDirectory));
            }
        }
        else
        {
            SqliteConnection.ClearPool(new SqliteConnection($"Data Source={DatabasePath}"));
        }

        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }
    }

    // ---- Test data: each test makes its own organization and users. ----

    public static string NewEmail(string tag) => $"{tag}-{Guid.NewGuid():N}@example.com";

    public Task<string> CreateOrganizationAsync(string? name = null) =>
        Services.GetRequiredService<OrganizationService>().CreateAsync(name ?? $"Org {Guid.NewGuid():N}", Actor.Operator("test"));

    public async Task<string> CreateApplicationAsync(string orgId)
    {
        var outcome = await Services.GetRequiredService<OrganizationService>().CreateApplicationAsync(orgId, "test app", Actor.Operator("test"));
        Assert.Equal(CreateApplicationStatus.Created, outcome.Status);
        return outcome.AppId!;
    }

    /// <summary>Invites a pending user (which queues an invitation email with a first code); returns the user id.</summary>
    public async Task<string> InviteAsync(string orgId, string email)
    {
        var outcome = await Services.GetRequiredService<RegistrationService>().InviteAsync(orgId, email, UserKind.EndUser, Actor.Operator("test"));
        Assert.Equal(InviteStatus.Invited, outcome.Status);
        return outcome.UserId!;
    }

    /// <summary>A new organization with one pending user (whose invitation mail is queued).</summary>
    public async Task<(string OrgId, string Email, string UserId)> CreatePendingUserAsync(string tag)
    {
        var orgId = await CreateOrganizationAsync();
        var email = NewEmail(tag);
        return (orgId, email, await InviteAsync(orgId, email));
    }

    public Task MarkRegisteredAsync(string userId) =>
        WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsRegistered, true).SetProperty(u => u.RegisteredAt, DateTimeOffset.UtcNow)));

    public Task DeactivateAsync(string userId) =>
        WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false)));

    public Task DeactivateApplicationAsync(string appId) =>
        WithDbAsync(db => db.Applications.Where(a => a.Id == appId).ExecuteUpdateAsync(s => s.SetProperty(a => a.IsActive, false)));

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await work(db);
    }

    /// <summary>
    /// Waits until the public doors' recorded requests (resends, wrong codes) are resolved: those doors answer before the
    /// user is looked at, and a background processor issues the code moments later.
    /// </summary>
    public Task PublicRequestsResolvedAsync() =>
        Wait.WaitUntilAsync(async () => !await WithDbAsync(db => db.PublicRequests.AnyAsync()), "the public doors' requests are resolved");

    /// <summary>The user's codes that are neither used nor invalidated.</summary>
    public Task<List<RegistrationCode>> ValidCodesAsync(string userId) =>
        WithDbAsync(db => db.RegistrationCodes.AsNoTracking().Where(c => c.UserId == userId && c.UsedAt == null && c.InvalidatedAt == null).ToListAsync());

    public Task<List<RegistrationCode>> AllCodesAsync(string userId) =>
        WithDbAsync(db => db.RegistrationCodes.AsNoTracking().Where(c => c.UserId == userId).ToListAsync());

    /// <summary>The user's outbox rows, oldest first.</summary>
    public async Task<List<OutboxMessage>> OutboxAsync(string userId)
    {
        var rows = await WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.UserId == userId).ToListAsync());
        return rows.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToList();
    }

    /// <summary>True when none of the user's messages is still waiting to be sent.</summary>
    /// <summary>
    /// With the scripted <paramref name="smtp"/> holding <paramref name="heldEmail"/>'s data (<see cref="SmtpRule.HoldData"/>):
    /// waits until that send is held and the batch's claim on it has ended, then lets it through, so the batch stops
    /// there with the rest of its claim unsent.
    /// </summary>
    public async Task HoldPastClaimAsync(SmtpServer smtp, string heldEmail, string heldUserId)
    {
        await Wait.WaitUntilAsync(() => Task.FromResult(smtp.Events().Any(e => e.Command == "DATA-HELD")), "the first message of the batch is held");
        await Wait.WaitUntilAsync(async () => await OutboxAsync(heldUserId) is [{ NextAttemptAt: var until }] && until < DateTimeOffset.UtcNow, "the batch's claim has ended");
        smtp.SetRule(heldEmail, SmtpRule.Accept);
    }

    public async Task<bool> OutboxDrainedAsync(string userId) =>
        (await OutboxAsync(userId)).All(m => m.Status != OutboxStatus.Pending);

    public bool CodeMatches(string? code, byte[] hash) => Services.GetRequiredService<CodeHasher>().Matches(code, hash);

    /// <summary>The plaintext code of a queued outbox row (as the dispatcher would read it).</summary>
    /// <summary>The most public requests the host resolves in one write.</summary>
    public int RequestBatchSize => RegistrationPortal.Web.Features.Registration.PublicRequestProcessor.BatchSizeFor(Services.GetRequiredService<PortalDatabase>());

    public string UnprotectPayload(string protectedPayload) =>
        Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(OutboxPayload.Purpose).Unprotect(protectedPayload);
}
