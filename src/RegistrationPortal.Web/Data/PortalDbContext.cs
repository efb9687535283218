using System.Data.Common;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
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

    public DbSet<AdminResendThrottle> AdminResendThrottles => Set<AdminResendThrottle>();

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

    private static readonly DateTimeOffsetToBinaryConverter StoredTimes = new();

    private Dictionary<string, DbCommand>? _commands;
    private IRelationalCommandDiagnosticsLogger? _commandLogger;

    /// <summary>A time as the model stores it (<see cref="ConfigureConventions"/>), for the statements written by hand.</summary>
    public static long StoredTime(DateTimeOffset at) => (long)StoredTimes.ConvertToProvider(at)!;

    /// <summary>
    /// A command for <paramref name="sql"/> on this context's connection, in its current transaction, kept (and its
    /// statement prepared once) until the context is disposed: a write batch runs the public doors' few statements
    /// once per request, and preparing each of them again every time would cost more than running it.
    /// <paramref name="parameters"/> are the parameters' names and types (mapped as the model maps that type, so a value
    /// is stored as <c>SaveChanges</c> would store it); the caller sets their values, in that order, before each run.
    /// </summary>
    internal DbCommand Command(string sql, params ReadOnlySpan<(string Name, Type Type)> parameters)
    {
        var transaction = Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A kept command runs inside the write queue's transaction.");
        _commands ??= new Dictionary<string, DbCommand>(StringComparer.Ordinal);
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = transaction.Connection!.CreateCommand();
            command.CommandText = sql;
            var mappings = this.GetService<IRelationalTypeMappingSource>();
            foreach (var (name, type) in parameters)
            {
                var mapping = mappings.FindMapping(type) ?? throw new InvalidOperationException($"No mapping for {type.Name}.");
                command.Parameters.Add(mapping.CreateParameter(command, name, null, nullable: true));
            }

            _commands[sql] = command;
        }

        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// Runs a <see cref="Command"/>, logged (and seen by interceptors and diagnostic listeners) as EF Core's own commands
    /// are, so the record of what the host ran stays whole. Returns the rows it changed.
    /// </summary>
    internal async Task<int> RunAsync(DbCommand command)
    {
        var logger = _commandLogger ??= this.GetService<IRelationalCommandDiagnosticsLogger>();
        var start = DateTimeOffset.UtcNow;
        if (!logger.ShouldLogCommandExecute(start))
        {
            return await command.ExecuteNonQueryAsync();
        }

        var connection = this.GetService<IRelationalConnection>();
        var id = Guid.NewGuid();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var intercepted = await logger.CommandNonQueryExecutingAsync(
            connection, command, command.CommandText, this, id, connection.ConnectionId, start, CommandSource.ExecuteSqlRaw);
        var changed = intercepted.HasResult ? intercepted.Result : await command.ExecuteNonQueryAsync();
        return await logger.CommandNonQueryExecutedAsync(
            connection, command, command.CommandText, this, id, connection.ConnectionId, changed, start, clock.Elapsed, CommandSource.ExecuteSqlRaw);
    }

    /// <summary>
    /// Runs a <see cref="Command"/> once for each of <paramref name="rows"/>, <paramref name="bind"/> setting its values
    /// for that row, and returns the rows each run changed. In process (SQLite) that is the kept command run row by row;
    /// where the provider sends many statements in one round trip (PostgreSQL), the runs go together
    /// (<see cref="StatementBatches"/>): a round trip for the lot instead of one a row.
    /// </summary>
    internal async Task<int[]> RunEachAsync<T>(DbCommand command, IReadOnlyList<T> rows, Action<DbParameterCollection, T> bind)
    {
        if (command.Connection!.CanCreateBatch && rows.Count > 1)
        {
            return await StatementBatches.RunEachAsync(command, rows, bind);
        }

        var changed = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            bind(command.Parameters, rows[i]);
            changed[i] = await RunAsync(command);
        }

        return changed;
    }

    public override void Dispose()
    {
        DisposeCommands();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    public override async ValueTask DisposeAsync()
    {
        DisposeCommands();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// What this context kept for one unit of work: contexts are pooled (made once, handed out again), so the next one to
    /// take it must find none of it.
    /// </summary>
    private void DisposeCommands()
    {
        CorrelationId = null;
        if (_commands is null)
        {
            return;
        }

        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands = null;
    }

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
    /// <remarks>
    /// The hosts set it where they register the context (<see cref="IgnoreUnorderedLimits"/>): a pooled context may not
    /// change its options here. A context made some other way (a design-time tool) gets it here.
    /// </remarks>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        if (optionsBuilder.Options.FindExtension<CoreOptionsExtension>()?.WarningsConfiguration
                .GetBehavior(CoreEventId.RowLimitingOperationWithoutOrderByWarning) != WarningBehavior.Ignore)
        {
            IgnoreUnorderedLimits(optionsBuilder);
        }
    }

    /// <summary>The options every portal context runs with, whatever its provider.</summary>
    internal static DbContextOptionsBuilder IgnoreUnorderedLimits(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning));

    protected override void OnModelCreating(ModelBuilder builder)
    {
        var modelBuilder = builder;
        // Identity shapes its tables from IdentityOptions.Stores; AddPortalData pins those for every process.
        base.OnModelCreating(modelBuilder);

        // Each feature configures its own entities (an IEntityTypeConfiguration beside each entity). Applied after
        // Identity's, so that PortalUser's configuration refines Identity's tables.
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }
}

internal static class ModelBuilderExtensions
{
    public static void HaveIdLength<TProperty>(this Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<TProperty> property) =>
        property.HasMaxLength(40).IsUnicode(false);
}
