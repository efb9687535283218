using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Tests.Data;

/// <summary>
/// The schema the portal's model expects is the one its committed migrations build, on both providers: a model change
/// without its migration (a column's width, its type) would leave every database migrated in the field different from
/// what the code assumes. The same check as <c>dotnet ef migrations has-pending-model-changes</c>, in the test run.
/// </summary>
public sealed class ModelMigrationsTests
{
    [Theory]
    [InlineData("Sqlite", "Data Source=:memory:")]
    [InlineData("Postgres", "Host=localhost;Database=portal;Username=portal")]
    public void The_model_has_no_change_that_the_committed_migrations_lack(string provider, string connectionString)
    {
        var directory = Directory.CreateTempSubdirectory("portal-model-").FullName;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                EnvironmentName = "Testing",
                ContentRootPath = directory,
            });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Provider"] = provider,
                ["ConnectionStrings:Portal"] = connectionString,
            });
            builder.AddPortalData();
            using var host = builder.Build();

            // The PostgreSQL context is made, not connected: the comparison is between the model and the snapshot.
            using var db = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext();

            Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} model differs from its latest migration's snapshot: add a migration");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
