using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// A data folder for hosts started one after another (or side by side) on the same database: pass
/// <see cref="Path"/> as each <see cref="PortalFactory"/>'s data directory. Disposing it removes the folder and, on
/// PostgreSQL, the database named after it, which no single factory owns.
/// </summary>
public sealed class SharedDataDirectory(string prefix, DatabaseProvider provider) : IAsyncDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public async ValueTask DisposeAsync()
    {
        if (provider == DatabaseProvider.Postgres)
        {
            await TestPostgres.DropDatabaseAsync(TestPostgres.DatabaseNameFor(Path));
        }

        Directory.Delete(Path, recursive: true);
    }
}
