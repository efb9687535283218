using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Web.Data.Postgres;

/// <summary>
/// The portal's database on PostgreSQL: the same model, plus what only PostgreSQL has (pg_trgm and the trigram index
/// that serves substring search of emails, as the FTS5 table does on SQLite). A context type of its own, because EF
/// keeps one migrations folder per context: add a migration from the repository root with
/// <c>Database__Provider=Postgres dotnet ef migrations add NAME --project src/RegistrationPortal.Web --context PostgresPortalDbContext --output-dir Data/Postgres/Migrations</c>.
/// </summary>
public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasPostgresExtension("pg_trgm");
        builder.Entity<OrgUser>()
            .HasIndex(u => u.NormalizedUsername, UserTextSearch.PostgresIndexName)
            .HasMethod("gin")
            .HasOperators("gin_trgm_ops");
    }
}
