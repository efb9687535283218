using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data.Postgres;

/// <summary>PostgreSQL as the portal's database: several hosts on one database behave as one.</summary>
internal static class PostgresSetup
{
    /// <summary>The advisory lock one instance holds while it migrates and makes the shared keys ("RPORTAL1").</summary>
    private const long StartupLockKey = 0x52504F5254414C31;

    public static void AddPostgresData(IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Portal");
        try
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new ArgumentException("it is empty");
            }

            connectionString = new NpgsqlConnectionStringBuilder(connectionString).ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException(ConfigurationCheck.Line(
                "ConnectionStrings:Portal",
                $"is not a usable PostgreSQL connection string, e.g. Host=db;Database=portal;Username=portal;Password=… ({ex.Message})"));
        }

        builder.Services.AddPooledDbContextFactory<PostgresPortalDbContext>(o => PortalDbContext.IgnoreUnorderedLimits(o)
            .UseNpgsql(connectionString)
            .AddInterceptors(new RowLockInterceptor()));

        // Services ask for the provider-neutral context; they get PostgreSQL's.
        builder.Services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp => new Contexts(sp.GetRequiredService<IDbContextFactory<PostgresPortalDbContext>>()));
        builder.Services.AddScoped<PortalDbContext>(sp => sp.GetRequiredService<IDbContextFactory<PostgresPortalDbContext>>().CreateDbContext());
        builder.Services.AddSingleton(new PortalDatabase(DatabaseProvider.Postgres, connectionString, Writers(builder.Configuration)));
    }

    /// <summary>The most writers one host may run; each holds a pooled connection while its batch runs.</summary>
    public const int MaxWriters = 32;

    /// <summary>
    /// <c>Database:Writers</c>: how many write batches one host runs at once (4 unless set). A PostgreSQL write is
    /// several round trips to the server, so one writer leaves the server idle between them; the batches of one host
    /// meet each other as another host's would, through row locks and runs again after a lost race.
    /// </summary>
    internal static int Writers(IConfiguration configuration)
    {
        var value = configuration["Database:Writers"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return 4;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var writers) && writers is >= 1 and <= MaxWriters
            ? writers
            : throw new ConfigurationException(ConfigurationCheck.Line("Database:Writers", $"must be a whole number from 1 to {MaxWriters}"));
    }

    /// <summary>
    /// Takes the database-wide startup lock (a session advisory lock on a connection of its own) and holds it until
    /// disposed. Instances that start together take turns: migrations and first-writer-wins keys are made once.
    /// </summary>
    public static async Task<IAsyncDisposable> LockStartupAsync(PortalDatabase database, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", StartupLockKey);
            await command.ExecuteNonQueryAsync(ct);
            return new StartupLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class StartupLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // A pooled connection keeps its session (and the lock) when closed: release it first.
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                command.Parameters.AddWithValue("key", StartupLockKey);
                await command.ExecuteNonQueryAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class Contexts(IDbContextFactory<PostgresPortalDbContext> inner) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }

    /// <summary>Turns the <see cref="RowLocks"/> tags into PostgreSQL's locking clauses.</summary>
    private sealed class RowLockInterceptor : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            AddLockingClause(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            AddLockingClause(command);
            return ValueTask.FromResult(result);
        }

        private static void AddLockingClause(DbCommand command)
        {
            var text = command.CommandText;
            if (!text.StartsWith("-- portal:", StringComparison.Ordinal))
            {
                return;
            }

            var firstLine = text.AsSpan(3, Math.Max(0, text.IndexOf('\n', StringComparison.Ordinal) - 3)).TrimEnd('\r');
            if (firstLine.SequenceEqual(RowLocks.SkipLockedTag))
            {
                command.CommandText = text + "\nFOR UPDATE SKIP LOCKED";
            }
            else if (firstLine.SequenceEqual(RowLocks.ForUpdateTag))
            {
                command.CommandText = text + "\nFOR UPDATE";
            }
        }
    }
}
