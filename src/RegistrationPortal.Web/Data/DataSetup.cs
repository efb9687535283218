using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RegistrationPortal.Web.Features.Operations;

namespace RegistrationPortal.Web.Data;

/// <summary>The resolved connection string of the portal's SQLite database, for tools that work on the file itself (backup).</summary>
public sealed record PortalDatabase(string ConnectionString)
{
    public string FilePath => new SqliteConnectionStringBuilder(ConnectionString).DataSource;

    /// <summary>
    /// Every process that uses the database (host or verb) holds a shared lock on <c>FILE.lock</c> beside it while it
    /// runs; a restore takes it exclusively, so it cannot swap the file under a running host, and a host cannot start in
    /// the middle of a restore. Null when the lock is taken the other way. (An advisory lock: only this program keeps it.)
    /// </summary>
    public IDisposable? TryLock(bool exclusive)
    {
        if (string.IsNullOrEmpty(FilePath) || FilePath == ":memory:" || new SqliteConnectionStringBuilder(ConnectionString).Mode == SqliteOpenMode.Memory)
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

    /// <summary>SQLite on the file named by <c>ConnectionStrings:Portal</c> (relative paths are under the content root).</summary>
    public static IHostApplicationBuilder AddPortalData(this IHostApplicationBuilder builder)
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
        builder.Services.AddDbContextFactory<PortalDbContext>(o => o
            .UseSqlite(connectionString)
            .AddInterceptors(pragmas));
        builder.Services.AddSingleton(new PortalDatabase(connectionString));
        builder.Services.TryAddSingleton<PortalTelemetry>();
        builder.Services.AddSingleton<WriteQueue>();

        // Identity builds its part of the model from these options: the same in the host, the tools and tests.
        builder.Services.Configure<IdentityOptions>(o =>
        {
            o.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            o.Stores.MaxLengthForKeys = 128;
        });
        builder.Services.AddDataProtection()
            .SetApplicationName("RegistrationPortal")
            .PersistKeysToDbContext<PortalDbContext>();
        return builder;
    }

    /// <summary>Applies committed migrations and switches the file to WAL; runs before the host serves.</summary>
    public static async Task MigratePortalDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
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

    /// <summary><c>synchronous</c> and the busy timeout are per connection: set them wherever one opens.</summary>
    private sealed class SqlitePragmaInterceptor(string synchronous) : DbConnectionInterceptor
    {
        private readonly string _sql = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000;";

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
