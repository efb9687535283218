using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data;

/// <summary>Which database the portal runs on (<c>Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>One file, one host: the default.</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql: several hosts may share one database.</summary>
    Postgres,
}

/// <summary>
/// The portal's database as configured: its provider, resolved connection string, and how many write batches a host
/// runs at once (always 1 on SQLite, which has one writer).
/// </summary>
public sealed record PortalDatabase(DatabaseProvider Provider, string ConnectionString, int Writers = 1)
{
    public bool IsSqlite => Provider == DatabaseProvider.Sqlite;

    /// <summary>The SQLite file; empty on PostgreSQL, which has no file of ours to lock, copy or replace.</summary>
    public string FilePath => IsSqlite ? new SqliteConnectionStringBuilder(ConnectionString).DataSource : "";

    /// <summary>The OpenTelemetry name of the database system.</summary>
    public string SystemName => IsSqlite ? "sqlite" : "postgresql";

    /// <summary>
    /// Every process that uses a SQLite database (host or verb) holds a shared lock on <c>FILE.lock</c> beside it while it
    /// runs; a restore takes it exclusively, so it cannot swap the file under a running host, and a host cannot start in
    /// the middle of a restore. Null when the lock is taken the other way. (An advisory lock: only this program keeps it.)
    /// PostgreSQL is a server that many hosts share and that this program never replaces: nothing to lock there.
    /// </summary>
    public IDisposable? TryLock(bool exclusive)
    {
        if (!IsSqlite || string.IsNullOrEmpty(FilePath) || FilePath == ":memory:" || new SqliteConnectionStringBuilder(ConnectionString).Mode == SqliteOpenMode.Memory)
        {
            // Nothing on disk to replace.
            return new MemoryStream();
        }

        try
        {
            // On Linux and macOS, .NET turns FileShare.None into flock(LOCK_EX) and a read-only open into flock(LOCK_SH).
            return exclusive
                ? new FileStream(FilePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(FilePath + ".lock", FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException)
        {
            return null;
        }
    }
}

public static class DataSetup
{
    public const string DefaultConnectionString = "Data Source=data/portal.db";

    /// <summary>
    /// The database named by <c>Database:Provider</c> (<c>Sqlite</c>, the default, or <c>Postgres</c>) and
    /// <c>ConnectionStrings:Portal</c> (for SQLite a file, relative paths under the content root). Services see one
    /// <see cref="PortalDbContext"/> either way; on PostgreSQL it is <see cref="Postgres.PostgresPortalDbContext"/>, which
    /// carries PostgreSQL's own migrations.
    /// </summary>
    public static IHostApplicationBuilder AddPortalData(this IHostApplicationBuilder builder)
    {
        var providerText = builder.Configuration["Database:Provider"];
        if (!Enum.TryParse<DatabaseProvider>(string.IsNullOrWhiteSpace(providerText) ? nameof(DatabaseProvider.Sqlite) : providerText.Trim(), ignoreCase: true, out var provider)
            || !Enum.IsDefined(provider))
        {
            throw new ConfigurationException(ConfigurationCheck.Line("Database:Provider", "must be Sqlite or Postgres"));
        }

        if (provider == DatabaseProvider.Postgres)
        {
            Postgres.PostgresSetup.AddPostgresData(builder);
        }
        else
        {
            AddSqlite(builder);
        }

        builder.Services.TryAddSingleton<PortalTelemetry>();
        builder.Services.AddSingleton<WriteQueue>();
        builder.Services.AddSingleton<Postgres.DirectWrites>();

        // Runs (as a hosted service) on SQLite only; the dispatcher asks it for checkpoints there alone.
        builder.Services.AddSingleton<WalCheckpointer>();

        // Identity builds its part of the model from these options: the same in the host, the tools and tests.
        builder.Services.Configure<IdentityOptions>(o =>
        {
            o.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            o.Stores.MaxLengthForKeys = 128;
        });
        var dataProtection = builder.Services.AddDataProtection()
            .SetApplicationName("RegistrationPortal")
            .PersistKeysToDbContext<PortalDbContext>();

        // The keys are kept in the database, encrypted with a certificate that is not (in Production the configuration
        // check refuses to start without one).
        if (KeyEncryption.Load(builder.Configuration, builder.Environment, DataFolder(builder, provider)) is { } keyEncryption)
        {
            builder.Services.AddSingleton(keyEncryption);
            dataProtection.ProtectKeysWithCertificate(keyEncryption.Certificate);
        }

        return builder;
    }

    /// <summary>The folder of the SQLite file, or the content root's <c>data</c> folder on PostgreSQL or an in-memory database.</summary>
    private static string DataFolder(IHostApplicationBuilder builder, DatabaseProvider provider)
    {
        var fallback = Path.Combine(builder.Environment.ContentRootPath, "data");
        if (provider != DatabaseProvider.Sqlite)
        {
            return fallback;
        }

        var csb = new SqliteConnectionStringBuilder(ResolveConnectionString(
            builder.Configuration.GetConnectionString("Portal") ?? DefaultConnectionString, builder.Environment.ContentRootPath));
        return csb.Mode == SqliteOpenMode.Memory || csb.DataSource is not { Length: > 0 } file || file == ":memory:"
            ? fallback
            : Path.GetDirectoryName(file) ?? fallback;
    }

    /// <summary>Applies committed migrations (and on SQLite switches the file to WAL); runs before the host serves.</summary>
    public static Task MigratePortalDatabaseAsync(this IServiceProvider services, CancellationToken ct = default) =>
        services.PreparePortalDatabaseAsync(migrate: true, then: null, ct);

    /// <summary>
    /// What one process does before it serves or runs a verb: applies the committed migrations when
    /// <paramref name="migrate"/>, then runs <paramref name="then"/> (which makes the keys every instance shares). On
    /// PostgreSQL both run under a database-wide lock, so of several instances starting at once one migrates and makes
    /// the keys (and seeds the demo organization) and the others, waiting their turn, find and use them instead of
    /// racing to make their own.
    /// </summary>
    public static async Task PreparePortalDatabaseAsync(this IServiceProvider services, bool migrate, Func<IServiceProvider, Task>? then, CancellationToken ct = default)
    {
        var database = services.GetRequiredService<PortalDatabase>();
        await using var startup = database.IsSqlite ? null : await Postgres.PostgresSetup.LockStartupAsync(database, ct);
        if (migrate)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
            await db.Database.MigrateAsync(ct);
            if (database.IsSqlite)
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            }
        }

        await KeyEncryption.PrepareKeysAsync(services, ct);
        if (then is not null)
        {
            await then(services);
        }
    }

    private static void AddSqlite(IHostApplicationBuilder builder)
    {
        string connectionString;
        try
        {
            connectionString = ResolveConnectionString(
                builder.Configuration.GetConnectionString("Portal") ?? DefaultConnectionString,
                builder.Environment.ContentRootPath);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new ConfigurationException(ConfigurationCheck.Line("ConnectionStrings:Portal", $"is not a usable SQLite connection string ({ex.Message})"));
        }

        var synchronous = builder.Configuration["Database:Synchronous"] ?? "NORMAL";
        if (synchronous is not ("NORMAL" or "FULL" or "EXTRA"))
        {
            throw new ConfigurationException(ConfigurationCheck.Line("Database:Synchronous", "must be NORMAL, FULL or EXTRA"));
        }

        var pragmas = new SqlitePragmaInterceptor(synchronous);
        builder.Services.AddPooledDbContextFactory<PortalDbContext>(o => PortalDbContext.IgnoreUnorderedLimits(o)
            .UseSqlite(connectionString)
            .AddInterceptors(pragmas));
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        builder.Services.AddSingleton(new PortalDatabase(DatabaseProvider.Sqlite, connectionString));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WalCheckpointer>());
    }

    internal static string ResolveConnectionString(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } path && path != ":memory:" && csb.Mode != SqliteOpenMode.Memory && !Path.IsPathRooted(path))
        {
            csb.DataSource = Path.GetFullPath(Path.Combine(contentRoot, path));
        }

        if (csb.DataSource is { Length: > 0 } full && csb.Mode != SqliteOpenMode.Memory && Path.GetDirectoryName(full) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        return csb.ToString();
    }

    /// <summary>
    /// <c>synchronous</c>, the busy timeout and <c>secure_delete</c> are per connection: set them wherever one opens.
    /// <c>secure_delete</c> overwrites what a write frees (an erased code's encrypted payload) instead of leaving it in the
    /// file's free space; the dispatcher checkpoints the WAL after erasing, so no old copy stays there either.
    /// </summary>
    private sealed class SqlitePragmaInterceptor(string synchronous) : DbConnectionInterceptor
    {
        private readonly string _sql = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000; PRAGMA secure_delete=ON; PRAGMA wal_autocheckpoint={WalCheckpointer.WriterCheckpointPages};";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var command = connection.CreateCommand();
            command.CommandText = _sql;
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = _sql;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
