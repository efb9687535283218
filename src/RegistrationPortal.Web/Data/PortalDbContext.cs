using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// The portal's database, as every service sees it, whatever the provider; on SQLite this type itself, whose migrations
/// are in Data/Migrations (PostgreSQL's context derives from it and has its own). Add a SQLite migration from the
/// repository root with
/// <c>dotnet ef migrations add NAME --project src/RegistrationPortal.Web --context PortalDbContext --output-dir Data/Migrations</c>.
/// </summary>
public class PortalDbContext : IdentityDbContext<PortalUser>, IDataProtectionKeyContext
{
    public PortalDbContext(DbContextOptions<PortalDbContext> options)
        : base(options)
    {
    }

    /// <summary>For a provider's own context, which keeps its own migrations.</summary>
    protected PortalDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<ApiApplication> Applications => Set<ApiApplication>();

    public DbSet<OrgUser> OrgUsers => Set<OrgUser>();

    public DbSet<RegistrationCode> RegistrationCodes => Set<RegistrationCode>();

    public DbSet<RegistrationChallenge> RegistrationChallenges => Set<RegistrationChallenge>();

    public DbSet<Credential> Credentials => Set<Credential>();

    public DbSet<ResendThrottle> ResendThrottles => Set<ResendThrottle>();

    public DbSet<UsedNonce> UsedNonces => Set<UsedNonce>();

    public DbSet<PublicRequest> PublicRequests => Set<PublicRequest>();

    public DbSet<CodeAttemptCounter> CodeAttemptCounters => Set<CodeAttemptCounter>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    public DbSet<ServerSecret> ServerSecrets => Set<ServerSecret>();

    public DbSet<Features.Branding.OrganizationBranding> OrganizationBrandings => Set<Features.Branding.OrganizationBranding>();

    public DbSet<Features.Branding.EmailTemplate> EmailTemplates => Set<Features.Branding.EmailTemplate>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The correlation id of the request whose work this context is saving; audit events take it.</summary>
    public string? CorrelationId { get; set; }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        // SQLite cannot compare or sort DateTimeOffset text; every time is UTC, stored as a sortable integer.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
    }

    /// <summary>
    /// The product's only row limits without an order are its bounded counts ("more than 10,000"): counting the first
    /// N + 1 rows of a filter is right whatever their order, and ordering them would only cost a sort.
    /// </summary>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.RowLimitingOperationWithoutOrderByWarning));

    protected override void OnModelCreating(ModelBuilder builder)
    {
        var modelBuilder = builder;
        // Identity shapes its tables from IdentityOptions.Stores; AddPortalData pins those for every process.
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<PortalUser>(e =>
        {
            e.Property(u => u.OrgId).HaveIdLength();
            e.HasIndex(u => u.OrgId);
        });

        modelBuilder.Entity<Organization>(e =>
        {
            e.Property(o => o.Id).HaveIdLength();
            e.Property(o => o.Name).HasMaxLength(200);
        });

        modelBuilder.Entity<ApiApplication>(e =>
        {
            e.Property(a => a.Id).HaveIdLength();
            e.Property(a => a.OrgId).HaveIdLength();
            e.Property(a => a.Name).HasMaxLength(200);
            e.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrgId);
        });

        modelBuilder.Entity<OrgUser>(e =>
        {
            e.ToTable("Users");
            e.Property(u => u.Id).HaveIdLength();
            e.Property(u => u.OrgId).HaveIdLength();
            e.Property(u => u.Username).HasMaxLength(EmailAddress.MaxLength);
            e.Property(u => u.NormalizedUsername).HasMaxLength(EmailAddress.MaxLength);
            e.Property(u => u.Language).HasMaxLength(Shared.PortalLanguages.MaxLength).IsUnicode(false);
            e.HasIndex(u => new { u.OrgId, u.NormalizedUsername }).IsUnique();
            e.HasIndex(u => new { u.OrgId, u.CreatedAt });

            // The users page filters by status and sorts by creation or email. One partial index per status and sort
            // lets the first page be read in order without sorting the organization; as each user is in exactly one
            // status, the three together cost what one full index would. The filters are written exactly as
            // OrgUserAdminService's status predicates translate (SQLite uses a partial index only when the query
            // repeats its condition), and are plain SQL that PostgreSQL accepts as well.
            foreach (var (status, filter) in UserStatusIndexes.Filters)
            {
                e.HasIndex(u => new { u.OrgId, u.CreatedAt }, $"IX_Users_{status}_ByCreated").HasFilter(filter);
                e.HasIndex(u => new { u.OrgId, u.NormalizedUsername }, $"IX_Users_{status}_ByEmail").HasFilter(filter);
            }

            e.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrgId);
        });

        modelBuilder.Entity<RegistrationCode>(e =>
        {
            e.Property(c => c.OrgId).HaveIdLength();
            e.Property(c => c.UserId).HaveIdLength();
            e.Property(c => c.CodeHash).HasMaxLength(32);
            e.Property(c => c.InvalidatedReason).HasMaxLength(64);
            e.Property(c => c.IssuedBy).HasMaxLength(64);
            e.HasIndex(c => new { c.UserId, c.CreatedAt });

            // Init looks a typed code up by its keyed hash, so a wrong code misses the same index whoever is asked about.
            e.HasIndex(c => c.CodeHash);

            // Retention finds spent codes by expiry: every code is spent by then at the latest.
            e.HasIndex(c => c.ExpiresAt);
            e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
        });

        modelBuilder.Entity<RegistrationChallenge>(e =>
        {
            e.Property(c => c.OrgId).HaveIdLength();
            e.Property(c => c.UserId).HaveIdLength();
            e.Property(c => c.Challenge).HasMaxLength(64).IsUnicode(false);
            e.HasIndex(c => new { c.UserId, c.CreatedAt });
            e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
            e.HasOne<RegistrationCode>().WithMany().HasForeignKey(c => c.CodeId);
        });

        modelBuilder.Entity<Credential>(e =>
        {
            e.Property(c => c.Id).HaveIdLength();
            e.Property(c => c.OrgId).HaveIdLength();
            e.Property(c => c.UserId).HaveIdLength();
            e.Property(c => c.Kind).HasMaxLength(32);
            e.Property(c => c.Name).HasMaxLength(200);
            e.Property(c => c.CredId).HasMaxLength(512).IsUnicode(false);
            e.Property(c => c.PublicKeyPem).HasMaxLength(4096);
            e.Property(c => c.PublicKeyCose).HasMaxLength(2048);
            e.Property(c => c.AttestationFormat).HasMaxLength(32).IsUnicode(false);
            e.Property(c => c.Transports).HasMaxLength(128).IsUnicode(false);

            // Dfns credential ids are unique per organization; the index also makes the completion's check a seek.
            e.HasIndex(c => new { c.OrgId, c.CredId }).IsUnique();
            e.HasIndex(c => c.UserId);
            e.HasOne<OrgUser>().WithMany().HasForeignKey(c => c.UserId);
        });

        modelBuilder.Entity<ResendThrottle>(e =>
        {
            e.HasKey(t => new { t.OrgId, t.NormalizedUsername });
            e.Property(t => t.OrgId).HasMaxLength(64);
            e.Property(t => t.NormalizedUsername).HasMaxLength(EmailAddress.MaxLength);

            // Retention deletes the counters that no longer hold anyone back, oldest first.
            e.HasIndex(t => t.LastRequestAt);
        });

        modelBuilder.ApplyConfiguration<Features.Branding.OrganizationBranding>(new Features.Branding.BrandingConfiguration());
        modelBuilder.ApplyConfiguration<Features.Branding.EmailTemplate>(new Features.Branding.BrandingConfiguration());
        modelBuilder.ApplyConfiguration<PublicRequest>(new PublicRequestConfiguration());
        modelBuilder.ApplyConfiguration<CodeAttemptCounter>(new PublicRequestConfiguration());
        modelBuilder.ApplyConfiguration<ServiceAccount>(new ServiceAccountConfiguration());
        modelBuilder.ApplyConfiguration<UserAction>(new ServiceAccountConfiguration());

        modelBuilder.Entity<UsedNonce>(e =>
        {
            e.HasKey(n => n.Key);
            e.Property(n => n.Key).HasMaxLength(64);
            e.HasIndex(n => n.ExpiresAt);
        });

        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.Property(a => a.OrgId).HasMaxLength(64);
            e.Property(a => a.Action).HasMaxLength(64);
            e.Property(a => a.ActorKind).HasMaxLength(32);
            e.Property(a => a.ActorId).HasMaxLength(64);
            e.Property(a => a.ClientAddress).HasMaxLength(64);
            e.Property(a => a.SubjectId).HasMaxLength(64);
            e.Property(a => a.Details).HasMaxLength(1000);
            e.Property(a => a.CorrelationId).HasMaxLength(64).IsUnicode(false);
            e.HasIndex(a => new { a.OrgId, a.At });

            // The audit page filters by action, by actor and by date; a user's page lists that user's events.
            e.HasIndex(a => new { a.OrgId, a.Action, a.At });
            e.HasIndex(a => new { a.OrgId, a.ActorId, a.At });
            e.HasIndex(a => new { a.OrgId, a.ActorKind, a.At });
            e.HasIndex(a => new { a.SubjectId, a.At });

            // Retention deletes the oldest events first.
            e.HasIndex(a => a.At);
        });

        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.Property(m => m.OrgId).HaveIdLength();
            e.Property(m => m.UserId).HaveIdLength();
            e.Property(m => m.ToAddress).HasMaxLength(EmailAddress.MaxLength);
            e.Property(m => m.LastError).HasMaxLength(500);
            e.Property(m => m.TraceParent).HasMaxLength(64).IsUnicode(false);
            e.HasIndex(m => new { m.Status, m.NextAttemptAt });
            e.HasIndex(m => m.UserId);

            // The backlog gauges (count and oldest of Pending) and retention (finished rows by age) seek on it.
            e.HasIndex(m => new { m.Status, m.CreatedAt });

            // The dashboard's queue and failures of one organization: without it, a backlog of other organizations'
            // mail is read through to find this one's.
            e.HasIndex(m => new { m.OrgId, m.Status, m.CreatedAt });
        });

        modelBuilder.Entity<ServerSecret>(e =>
        {
            e.HasKey(s => s.Name);
            e.Property(s => s.Name).HasMaxLength(64);
        });
    }
}

internal static class ModelBuilderExtensions
{
    public static void HaveIdLength<TProperty>(this Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<TProperty> property) =>
        property.HasMaxLength(40).IsUnicode(false);
}
