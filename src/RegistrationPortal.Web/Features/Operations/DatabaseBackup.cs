using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Operations;

public sealed record BackupResult(string File, long Users, long Codes);

public sealed record RestoreResult(string Database, string? PreviousFile);

/// <summary>A refusal the operator can act on (exit code 2 on the command line).</summary>
public sealed class BackupRefusedException(string message) : Exception(message);

/// <summary>
/// Backup and restore of the SQLite file. A backup is <c>VACUUM INTO</c>: one read transaction, so the copy is exactly
/// the database as of one commit, taken while the host keeps writing (WAL lets the writer go on beside the reader).
/// It holds the Data Protection keys and the code key too, so a restored copy checks the same codes and decrypts the
/// same queued mail.
/// </summary>
public sealed class DatabaseBackup(PortalDatabase database, TimeProvider time, IDbContextFactory<PortalDbContext> contexts)
{
    /// <summary>What an operator of a PostgreSQL database is told instead: the server's own tools do it, hosts running.</summary>
    public const string UsePgDump =
        "The database is PostgreSQL (Database:Provider): db backup and db restore work on a SQLite file only. "
        + "Back it up with pg_dump (e.g. pg_dump --format=custom --file=portal.dump \"$DATABASE\") while the hosts run, "
        + "and restore with pg_restore into an empty database before the hosts start. The dump holds the Data Protection "
        + "and code keys too.";

    public async Task<BackupResult> BackupAsync(string target, CancellationToken ct = default)
    {
        RefuseUnlessSqlite();
        var file = Path.GetFullPath(target);
        if (File.Exists(file) || Directory.Exists(file))
        {
            throw new BackupRefusedException($"{file} already exists: a backup never overwrites a file; name a new one.");
        }

        if (Path.GetDirectoryName(file) is { } folder && !Directory.Exists(folder))
        {
            throw new BackupRefusedException($"The folder {folder} does not exist.");
        }

        var source = database.FilePath;
        if (!File.Exists(source))
        {
            throw new BackupRefusedException($"There is no database at {source} (ConnectionStrings:Portal).");
        }

        await using (var connection = await OpenAsync(source, SqliteOpenMode.ReadWrite, ct))
        {
            await using var vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $file";
            vacuum.Parameters.AddWithValue("$file", file);
            await vacuum.ExecuteNonQueryAsync(ct);
        }

        var check = await CheckAsync(file, ct);
        return new BackupResult(file, check.Users, check.Codes);
    }

    /// <summary>
    /// Puts a backup in the database's place. Refuses while any process has the database open (stop the host first),
    /// refuses a backup that fails SQLite's integrity check or comes from a newer version, and keeps the replaced file
    /// beside it (<c>portal.db.before-restore-…</c>).
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string backup, CancellationToken ct = default)
    {
        RefuseUnlessSqlite();
        var from = Path.GetFullPath(backup);
        if (!File.Exists(from))
        {
            throw new BackupRefusedException($"There is no file {from}.");
        }

        await CheckAsync(from, ct);
        await CheckMigrationsAsync(from, ct);

        var target = database.FilePath;
        string? previous = null;
        if (File.Exists(target))
        {
            await TakeOverAsync(target, ct);
            previous = $"{target}.before-restore-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
            File.Move(target, previous);
        }

        // Copied beside the target and renamed into place, so no half-copied file ever has the database's name.
        var staging = target + ".restoring";
        File.Copy(from, staging, overwrite: true);
        File.Move(staging, target);
        await CheckAsync(target, ct);

        // Everything changed at once: the restored database's own trail says so (the platform's, the operator as actor),
        // naming the files but not where they are. Pooled connections were opened on the file that was replaced.
        SqliteConnection.ClearAllPools();
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var details = $"from {Path.GetFileName(from)}" + (previous is null ? "" : $"; the replaced database is kept as {Path.GetFileName(previous)}");
            db.Audit(time.GetUtcNow(), null, AuditActions.DatabaseRestored, Actor.Operator("db restore"), null, details);
            await db.SaveChangesAsync(ct);
        }

        return new RestoreResult(target, previous);
    }

    /// <summary>SQLite's integrity check and a look at the tables every portal database has; returns a few counts.</summary>
    public static async Task<(long Users, long Codes)> CheckAsync(string file, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(file, SqliteOpenMode.ReadOnly, ct);
        var integrity = (string?)await ScalarAsync(connection, "PRAGMA integrity_check", ct);
        if (integrity != "ok")
        {
            throw new BackupRefusedException($"{file} fails SQLite's integrity check: {integrity}");
        }

        try
        {
            var users = (long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM Users", ct))!;
            var codes = (long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM RegistrationCodes", ct))!;
            return (users, codes);
        }
        catch (SqliteException)
        {
            throw new BackupRefusedException($"{file} is not a RegistrationPortal database.");
        }
    }

    private static async Task CheckMigrationsAsync(string file, CancellationToken ct)
    {
        await using var connection = await OpenAsync(file, SqliteOpenMode.ReadOnly, ct);
        var applied = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetString(0));
            }
        }

        var known = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite("Data Source=:memory:").Options)
            .Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        if (applied.FirstOrDefault(m => !known.Contains(m)) is { } unknown)
        {
            throw new BackupRefusedException($"The backup comes from a newer version (migration {unknown}); restore it with that version.");
        }
    }

    /// <summary>
    /// Leaving WAL mode needs the only connection to the file, so it fails while a host (or anything else) has it open;
    /// when it works, the write-ahead log is folded into the file, which can then be moved aside as one file.
    /// </summary>
    private static async Task TakeOverAsync(string file, CancellationToken ct)
    {
        await using var connection = await OpenAsync(file, SqliteOpenMode.ReadWrite, ct, timeoutSeconds: 1);
        string? mode;
        try
        {
            mode = (string?)await ScalarAsync(connection, "PRAGMA journal_mode=DELETE", ct);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6)
        {
            mode = null;
        }

        if (!string.Equals(mode, "delete", StringComparison.OrdinalIgnoreCase))
        {
            throw new BackupRefusedException($"The database {file} is in use: stop the host (and every other process using it) before a restore.");
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string file, SqliteOpenMode mode, CancellationToken ct, int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false, DefaultTimeout = timeoutSeconds }.ToString());
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(ct);
    }

    private void RefuseUnlessSqlite()
    {
        if (!database.IsSqlite)
        {
            throw new BackupRefusedException(UsePgDump);
        }
    }
}
