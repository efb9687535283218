using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>An organization's branding as the emails and public pages use it (the logo's bytes stay in the database).</summary>
public sealed record Brand(
    string OrgId,
    string? DisplayName,
    string? PrimaryColor,
    string? SupportContact,
    string? SenderName,
    string? ReplyTo,
    string? LogoVersion,
    IReadOnlyDictionary<EmailKind, CompiledTemplate> Templates)
{
    public string? LogoPath => LogoVersion is null ? null : BrandingAssets.LogoPath(OrgId, LogoVersion);
}

public sealed class BrandingOptions : ICheckedOptions<BrandingOptions>
{
    public const string Section = "Branding";

    /// <summary>On PostgreSQL, where several hosts share the database: how often each reads the other hosts' changes.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    static IValidateOptions<BrandingOptions> ICheckedOptions<BrandingOptions>.Validator { get; } = new BrandingOptionsValidator();
}

[OptionsValidator]
internal sealed partial class BrandingOptionsValidator : IValidateOptions<BrandingOptions>;

/// <summary>
/// Every organization's branding and templates in memory, templates parsed: the dispatcher renders a message and a
/// public page finds its organization's look without a database round trip, and an organization that is unknown costs
/// the same lookup as one that is known. Read whole at start and after every change made here; on PostgreSQL also every
/// <see cref="BrandingOptions.RefreshInterval"/>, for the changes other hosts make. A reload parses only the templates
/// whose words changed since the last one.
/// </summary>
public sealed class BrandingCache(IDbContextFactory<PortalDbContext> contexts, ILogger<BrandingCache> logger)
{
    private FrozenDictionary<string, Brand> _brands = FrozenDictionary<string, Brand>.Empty;

    /// <summary>Every template as last read, with what parsing its words gave (null: they did not parse). Never changed once published.</summary>
    private Dictionary<(string OrgId, EmailKind Kind), ParsedTemplate> _parsed = [];

    /// <summary>The branding of <paramref name="orgId"/>, or null for an organization without one, or none at all.</summary>
    public Brand? Find(string? orgId) =>
        orgId is not null && Volatile.Read(ref _brands).TryGetValue(orgId.Trim(), out var brand) ? brand : null;

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.OrganizationBrandings.AsNoTracking()
            .Select(b => new { b.OrgId, b.DisplayName, b.PrimaryColor, b.SupportContact, b.SenderName, b.ReplyTo, b.LogoVersion })
            .ToListAsync(ct);
        var templates = await db.EmailTemplates.AsNoTracking().ToListAsync(ct);
        var compiled = new Dictionary<string, Dictionary<EmailKind, CompiledTemplate>>(StringComparer.Ordinal);
        var before = Volatile.Read(ref _parsed);
        var parsedNow = new Dictionary<(string OrgId, EmailKind Kind), ParsedTemplate>(templates.Count);
        foreach (var template in templates)
        {
            var key = (template.OrgId, template.Kind);
            if (!before.TryGetValue(key, out var parsed) || parsed.Subject != template.Subject || parsed.Body != template.Body)
            {
                var (words, problem) = EmailTemplates.Compile(template.Subject, template.Body);
                if (words is null)
                {
                    // Saved templates were checked; one that no longer parses (an engine upgrade) falls back to the default words.
                    logger.LogWarning("The {Kind} template of {OrgId} does not parse ({Problem}); its emails use the default words", template.Kind, template.OrgId, problem);
                }

                parsed = new ParsedTemplate(template.Subject, template.Body, words);
            }

            parsedNow[key] = parsed;
            if (parsed.Template is { } ready)
            {
                (compiled.TryGetValue(template.OrgId, out var kinds) ? kinds : compiled[template.OrgId] = []).Add(template.Kind, ready);
            }
        }

        var brands = rows.Select(r => new Brand(r.OrgId, r.DisplayName, r.PrimaryColor, r.SupportContact, r.SenderName, r.ReplyTo, r.LogoVersion,
                compiled.TryGetValue(r.OrgId, out var kinds) ? kinds : []))
            .ToDictionary(b => b.OrgId, StringComparer.Ordinal);
        foreach (var (orgId, kinds) in compiled.Where(c => !brands.ContainsKey(c.Key)))
        {
            brands[orgId] = new Brand(orgId, null, null, null, null, null, null, kinds);
        }

        Volatile.Write(ref _parsed, parsedNow);
        Volatile.Write(ref _brands, brands.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private sealed record ParsedTemplate(string Subject, string Body, CompiledTemplate? Template);
}

/// <summary>Reads the branding before the host serves, and on PostgreSQL keeps reading what other hosts change.</summary>
public sealed class BrandingRefresher(BrandingCache cache, PortalDatabase database, IOptionsMonitor<BrandingOptions> options, ILogger<BrandingRefresher> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await cache.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One SQLite file has one host: every change is made here and reloads the cache itself.
        if (database.IsSqlite)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.RefreshInterval, stoppingToken);
                await cache.ReloadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
            {
                logger.LogWarning("Reading the branding failed ({ErrorType}); the last one read stays in use", ex.GetType().Name);
            }
        }
    }
}
