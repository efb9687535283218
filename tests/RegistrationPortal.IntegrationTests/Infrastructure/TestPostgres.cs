using Npgsql;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// The throwaway PostgreSQL cluster that scripts/test.sh starts (its admin connection string in
/// <c>PORTAL_TEST_POSTGRES</c>). Every host that runs on PostgreSQL gets a database of its own in it, named after its
/// data folder, so each test class (or test) owns its data there as it owns its SQLite file.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "PORTAL_TEST_POSTGRES";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{Variable} is not set: run the tests with scripts/test.sh, which starts a throwaway PostgreSQL cluster.");

    /// <summary>The connection string of database <paramref name="name"/>, created empty when it does not exist yet.</summary>
    public static string EnsureDatabase(string name)
    {
        using var admin = new NpgsqlConnection(AdminConnectionString);
        admin.Open();
        using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin))
        {
            exists.Parameters.AddWithValue("name", name);
            if (exists.ExecuteScalar() is null)
            {
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
                create.ExecuteNonQuery();
            }
        }

        return ConnectionString(name);
    }

    public static string ConnectionString(string name) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString(name)));
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>A database name for a data folder: its (unique, temporary) folder name, in PostgreSQL's identifier alphabet.</summary>
    public static string DatabaseNameFor(string dataDirectory)
    {
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataDirectory)).ToLowerInvariant();
        var name = new string(folder.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return name.Length > 60 ? name[..60] : name;
    }
}
