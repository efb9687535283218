using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Benchmarks;

/// <summary>What the seeder made: one organization and numbered pending, registered and deactivated users.</summary>
internal sealed record TestData(string OrgId, int Pending, int Registered, int Deactivated)
{
    public static string PendingEmail(long i) => $"pending-{i}@bench.example";

    public static string RegisteredEmail(long i) => $"registered-{i}@bench.example";

    public static string DeactivatedEmail(long i) => $"deactivated-{i}@bench.example";
}

/// <summary>Creates the schema with the web project's migrations and bulk-inserts the users in one transaction.</summary>
internal static class Seeder
{
    public static string ConnectionString(string file, bool readOnly = false) => new SqliteConnectionStringBuilder
    {
        DataSource = file,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
    }.ToString();

    public static Task<TestData> SeedAsync(string file, int pending, int registered, int deactivated) =>
        SeedAsync(DatabaseProvider.Sqlite, ConnectionString(file), pending, registered, deactivated);

    /// <summary>Seeds the database of <paramref name="provider"/> at <paramref name="connectionString"/> (created by the host's migrations).</summary>
    public static async Task<TestData> SeedAsync(DatabaseProvider provider, string connectionString, int pending, int registered, int deactivated)
    {
        // The host's own data setup, so the schema and model are exactly the host's.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration["Database:Provider"] = provider.ToString();
        builder.Configuration["ConnectionStrings:Portal"] = connectionString;
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A new PostgreSQL database has no migrations history yet: EF logs its first look for it as a failed command.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.AddPortalData();
        using var host = builder.Build();
        await host.Services.MigratePortalDatabaseAsync();
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();

        var now = DateTimeOffset.UtcNow;
        var orgId = Ids.New(Ids.Organization);
        db.Organizations.Add(new Organization { Id = orgId, Name = "Benchmark Organization", CreatedAt = now });
        await db.SaveChangesAsync();

        // Raw ADO.NET: one prepared INSERT, one transaction; EF's change tracker would cost seconds here.
        var createdAt = new DateTimeOffsetToBinaryConverter().ConvertToProvider(now)!;
        await db.Database.OpenConnectionAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        await using var insert = db.Database.GetDbConnection().CreateCommand();
        insert.Transaction = tx.GetDbTransaction();
        // Quoted names and @ parameters: the one statement both SQLite and PostgreSQL read the same way.
        insert.CommandText = """
            INSERT INTO "Users" ("Id", "OrgId", "Username", "NormalizedUsername", "Kind", "IsActive", "IsRegistered", "CreatedAt", "RegisteredAt")
            VALUES (@id, @org, @username, @normalized, 'EndUser', @active, @registered, @created, @registeredAt)
            """;
        var id = Add("@id");
        var username = Add("@username");
        var normalized = Add("@normalized");
        var active = Add("@active");
        var isRegistered = Add("@registered");
        var registeredAt = Add("@registeredAt", System.Data.DbType.Int64);
        Add("@org").Value = orgId;
        Add("@created").Value = createdAt;

        async Task InsertAsync(string email, bool isActive, bool registeredUser)
        {
            id.Value = Ids.New(Ids.User);
            username.Value = email;
            normalized.Value = EmailAddress.Normalize(email);
            active.Value = isActive;
            isRegistered.Value = registeredUser;
            registeredAt.Value = registeredUser ? createdAt : DBNull.Value;
            await insert.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < pending; i++)
        {
            await InsertAsync(TestData.PendingEmail(i), isActive: true, registeredUser: false);
        }

        for (var i = 0; i < registered; i++)
        {
            await InsertAsync(TestData.RegisteredEmail(i), isActive: true, registeredUser: true);
        }

        for (var i = 0; i < deactivated; i++)
        {
            await InsertAsync(TestData.DeactivatedEmail(i), isActive: false, registeredUser: false);
        }

        await tx.CommitAsync();
        if (provider == DatabaseProvider.Postgres)
        {
            // Statistics, as autovacuum keeps them for a table this size in production: without them the server's
            // first plans for the freshly filled table are guesses (a batch's users read by a scan of the whole table).
            await db.Database.ExecuteSqlRawAsync("ANALYZE");
        }

        return new TestData(orgId, pending, registered, deactivated);

        System.Data.Common.DbParameter Add(string name, System.Data.DbType? type = null)
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = name;
            if (type is { } known)
            {
                // A column that is sometimes NULL: PostgreSQL needs its type up front.
                parameter.DbType = known;
            }

            insert.Parameters.Add(parameter);
            return parameter;
        }
    }

    /// <summary>Outbox rows by status, read from the file (read-only; safe while the host runs, WAL mode).</summary>
    public static async Task<Dictionary<string, long>> CountOutboxAsync(string file)
    {
        await using var connection = new SqliteConnection(ConnectionString(file, readOnly: true));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Status, COUNT(*) FROM OutboxMessages GROUP BY Status";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Public requests recorded and not yet resolved.</summary>
    public static async Task<long> CountPublicRequestsAsync(string file)
    {
        await using var connection = new SqliteConnection(ConnectionString(file, readOnly: true));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM PublicRequests";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
