using Microsoft.Data.Sqlite;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// SQLite: what the host commits reaches the database file itself within moments, not only its write-ahead log, though
/// the writer no longer checkpoints until the log is thousands of pages long: a copy of the database file alone (as a
/// careless file-level backup takes) already holds a user invited a moment ago.
/// </summary>
public sealed class WalCheckpointTests
{
    [Fact]
    public async Task A_user_invited_a_moment_ago_is_in_the_database_file_itself_not_only_in_its_log()
    {
        // No dispatcher: its scrub after a sent mail would checkpoint the log too.
        await using var host = new PortalFactory(settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" });
        var (_, email, _) = await host.CreatePendingUserAsync("checkpoint");

        var copies = Directory.CreateTempSubdirectory("regportal-copy-");
        try
        {
            await Wait.WaitUntilAsync(
                () => Task.FromResult(FileAloneHolds(host.DatabasePath, Path.Combine(copies.FullName, $"{Guid.NewGuid():N}.db"), email)),
                "the invited user is in a copy of the database file alone");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            copies.Delete(recursive: true);
        }
    }

    /// <summary>Copies the database file without its log and looks for the user in the copy.</summary>
    private static bool FileAloneHolds(string database, string copy, string email)
    {
        using (var source = new FileStream(database, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var target = File.Create(copy))
        {
            source.CopyTo(target);
        }

        using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();

        // Before any checkpoint the file alone has not even the tables the migrations made.
        command.CommandText = """SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'Users'""";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return false;
        }

        command.CommandText = """SELECT COUNT(*) FROM "Users" WHERE "Username" = $email""";
        command.Parameters.AddWithValue("$email", email);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }
}
