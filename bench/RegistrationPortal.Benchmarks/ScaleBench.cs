using System.Diagnostics;
using System.Security.Claims;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// The users page at scale, in process: one organization with <c>--search-users</c> users and one with
/// <c>--search-small</c>, seeded through the app's migrations (so the search index's triggers fill it), then the
/// service's first-page query timed at both sizes; and a bulk resend of <c>--bulk-users</c> pending users.
/// </summary>
internal static partial class ScaleBench
{
    private static readonly string[] FirstNames =
    [
        "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
        "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
        "christopher", "lisa", "daniel", "nancy", "matthew", "betty", "anthony", "sandra", "mark", "margaret",
        "ana", "li", "wei", "fatima", "omar", "yuki", "sven", "ingrid", "pierre", "chloe",
    ];

    private static readonly string[] LastNames =
    [
        "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
        "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
        "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
        "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores",
        "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
        "kowalski", "novak", "schmidt", "muller", "rossi", "dubois", "tanaka", "kim", "singh", "okafor",
    ];

    private static readonly string[] Domains = ["example.com", "mail.example", "corp.example", "example.org", "inbox.example", "acme.example"];

    public static async Task<int> RunAsync(Settings settings, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("regportal-scale-");
        try
        {
            var report = new Report();
            var failed = false;
            var dbFile = Path.Combine(work.FullName, "portal.db");
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", ContentRootPath = work.FullName });
            builder.Logging.SetMinimumLevel(LogLevel.Error);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Pooled, as the host's connections are: a fresh connection per query would start with a cold page cache.
                ["ConnectionStrings:Portal"] = $"Data Source={dbFile}",
                ["Email:DispatcherEnabled"] = "false",
            });
            builder.Services.AddSingleton(TimeProvider.System);
            builder.AddPortalData();
            builder.AddOrganizations();
            builder.AddRegistration();
            builder.AddEmail();
            builder.AddBranding();
            builder.AddOrgUsers();
            builder.AddDashboard();
            using var host = builder.Build();
            await host.Services.MigratePortalDatabaseAsync(ct);
            host.Services.WarmUpRegistrationKeys();

            // The host's background services run as in the app: the bulk resend's job runs on its job queue, and the WAL
            // is checkpointed beside the writes (the dispatcher is off: mail is queued, not sent).
            await host.StartAsync(ct);
            var contexts = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

            report.Line($"Scale phase: users page first-page query at {settings.SearchSmall:N0} and {settings.SearchUsers:N0} users, bulk resend of {settings.BulkUsers:N0}");
            SeededOrg? large = null;
            SeededOrg? small = null;
            var dashboard = new List<string[]>();
            if (settings.SearchUsers > 0)
            {
                (var met, large, small) = await SearchAsync(settings, host.Services, contexts, dbFile, report, ct);
                failed |= !met;
                await SeedDashboardDataAsync(contexts, small, ct);
                await SeedDashboardDataAsync(contexts, large, ct);
                failed |= !await TimeDashboardAsync(settings, host.Services, contexts, small, large, "", dashboard, ct);
            }

            if (settings.BulkUsers > 0)
            {
                failed |= !await BulkResendAsync(settings, host.Services, contexts, large, report, ct);
                if (small is not null && large is not null)
                {
                    failed |= !await TimeDashboardAsync(settings, host.Services, contexts, small, large, $" (after the bulk resend: {settings.BulkUsers:N0} emails of another organization queued)", dashboard, ct);
                }
            }

            if (dashboard.Count > 0)
            {
                ReportDashboard(settings, report, dashboard);
            }

            await host.StopAsync(CancellationToken.None);
            Console.WriteLine();
            Console.Write(report);
            return failed ? 1 : 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            work.Delete(recursive: true);
        }
    }

    private static async Task<(bool GoalMet, SeededOrg Large, SeededOrg Small)> SearchAsync(Settings settings, IServiceProvider services, IDbContextFactory<PortalDbContext> contexts, string dbFile, Report report, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var large = await SeedOrganizationAsync(contexts, "Large", settings.SearchUsers, ct);
        var largeTime = clock.Elapsed;
        clock.Restart();
        var small = await SeedOrganizationAsync(contexts, "Small", settings.SearchSmall, ct);
        Console.WriteLine($"Seeded {settings.SearchUsers:N0} users in {largeTime.TotalSeconds:0.0} s ({settings.SearchUsers / largeTime.TotalSeconds:N0} users/s), {settings.SearchSmall:N0} in {clock.Elapsed.TotalSeconds:0.0} s");

        var service = services.GetRequiredService<OrgUserAdminService>();
        var queries = new (string Name, Func<SeededOrg, UserSearch> Search, bool Goal)[]
        {
            ("(a) search: part of one email", o => new UserSearch(Text: o.NarrowTerm, Status: UserStatusFilter.All), true),
            ("(b) status filter alone (pending)", _ => new UserSearch(Status: UserStatusFilter.Pending), true),
            ("(c) sort by created (all, oldest first)", _ => new UserSearch(Status: UserStatusFilter.All, Sort: UserSort.Created, Descending: false), true),
            ("search: a last name (~1/60 of users)", o => new UserSearch(Text: o.BroadTerm, Status: UserStatusFilter.All), false),
            ("search: last name + pending, by email", o => new UserSearch(Text: o.BroadTerm, Sort: UserSort.Email, Descending: false), false),
            ("search: 2 characters (no trigram)", _ => new UserSearch(Text: "zq", Status: UserStatusFilter.All), false),
            ("search: in every email (\"example\")", _ => new UserSearch(Text: "example", Status: UserStatusFilter.All), false),
            ("registered, newest first", _ => new UserSearch(Status: UserStatusFilter.Registered), false),
            ("deactivated, by email", _ => new UserSearch(Status: UserStatusFilter.Deactivated, Sort: UserSort.Email, Descending: false), false),
            ("pending, by email, page 40", _ => new UserSearch(Sort: UserSort.Email, Descending: false, Page: 40), false),
            ("pending, created this month", o => new UserSearch(CreatedFrom: o.Now.AddDays(-30)), false),
            ("all, by kind", _ => new UserSearch(Status: UserStatusFilter.All, Sort: UserSort.Kind, Descending: false), false),
        };

        var rows = new List<string[]>();
        var goalMet = true;
        foreach (var (name, make, goal) in queries)
        {
            if (settings.Plans)
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                Console.WriteLine($"{name}:");
                foreach (var line in await QueryPlans.ExplainAsync(OrgUserAdminService.PageQuery(db, large.Scope, make(large), make(large).Text is { } text && await UserTextSearch.IsRareAsync(db, EmailAddress.Normalize(text), ct)), ct))
                {
                    Console.WriteLine($"  page:  {line}");
                }

                foreach (var line in await QueryPlans.ExplainAsync(OrgUserAdminService.CountQuery(db, large.Scope, make(large), lookup: make(large).Text is not null), ct))
                {
                    Console.WriteLine($"  count: {line}");
                }
            }

            var (smallMs, smallPage) = await TimeAsync(service, small, make(small), settings, ct);
            var (largeMs, largePage) = await TimeAsync(service, large, make(large), settings, ct);
            var ratio = largeMs / smallMs;
            var ok = largeMs < 50 && ratio <= 3;
            goalMet &= !goal || ok;
            rows.Add([name, $"{smallMs:0.00}", $"{largeMs:0.00}", $"{ratio:0.0}x", Total(largePage), goal ? (ok ? "met" : "MISSED") : ""]);
        }

        report.Line();
        report.Table(["Users page, first page (median ms)", $"{settings.SearchSmall:N0}", $"{settings.SearchUsers:N0}", "ratio", $"total shown at {settings.SearchUsers:N0}", "goal < 50 ms, <= 3x"], rows);
        report.Line($"Median of {settings.SearchRuns} runs after {Math.Max(2, settings.SearchRuns / 3)} warm-up runs; each run is one OrgUserAdminService.SearchAsync call (page of 25 and its bounded count).");
        report.Line($"Seeding: {settings.SearchUsers:N0} users in {largeTime.TotalSeconds:0.0} s through the migrations' triggers (trigram index included); database file {new FileInfo(dbFile).Length / 1048576.0:N0} MiB.");
        return (goalMet, large, small);

        static string Total(UserPage page) => page.MoreThanTotal ? $"> {page.TotalItems:N0}" : $"{page.TotalItems:N0}";
    }

    /// <summary>How long the bulk resend's job may take before the phase gives up on it (10,000 users take seconds).</summary>
    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A bulk resend of every pending user of an organization of <c>--bulk-users</c> users invited a month ago, as the
    /// page starts it ("pending for more than 7 days"): the preview, then the job until it has ended.
    /// </summary>
    private static async Task<bool> BulkResendAsync(Settings settings, IServiceProvider services, IDbContextFactory<PortalDbContext> contexts, SeededOrg? large, Report report, CancellationToken ct)
    {
        var org = await SeedOrganizationAsync(contexts, "Bulk", settings.BulkUsers, ct, allPending: true);
        var bulk = services.GetRequiredService<BulkResendService>();
        var jobs = services.GetRequiredService<BulkResendJobs>();
        var target = new BulkResendTarget.PendingLongerThan(7);

        // The second preview is the one timed: the first also compiles its queries.
        await bulk.PreviewAsync(org.Scope, target, ct);
        var clock = Stopwatch.StartNew();
        var preview = await bulk.PreviewAsync(org.Scope, target, ct);
        var previewTime = clock.Elapsed;
        (BulkResendPreview Preview, TimeSpan Time)? largePreview = large is null ? null : await TimePreviewAsync(large);

        clock.Restart();
        var job = await jobs.StartAsync(org.Scope, target, "127.0.0.1", ct) ?? throw new InvalidOperationException("A bulk resend was already running.");
        // Bounded: a job that never runs (its queue not started) ends the run with an error instead of holding it forever.
        await job.Completion.WaitAsync(JobDeadline, ct);
        var jobTime = clock.Elapsed;
        var progress = job.Progress;

        await using var db = await contexts.CreateDbContextAsync(ct);
        var outbox = await db.OutboxMessages.CountAsync(m => m.OrgId == org.OrgId, ct);
        var audits = await db.AuditEvents.CountAsync(a => a.OrgId == org.OrgId, ct);
        var ok = progress.State == BulkResendState.Finished && progress.Sent == settings.BulkUsers && outbox == settings.BulkUsers;

        report.Line();
        report.Table(["Bulk resend (pending for more than 7 days)", "Value"], [
            ["Pending users", $"{settings.BulkUsers:N0}"],
            ["Preview (counted in the database)", $"{preview.WillSend:N0} to send, {preview.Skipped:N0} skipped, {previewTime.TotalMilliseconds:N0} ms"],
            .. (largePreview is { } lp ? new[] { new[] { $"Preview in the {large!.Users:N0}-user organization", $"{lp.Preview.WillSend:N0} to send, {lp.Time.TotalMilliseconds:N0} ms" } } : []),
            ["Job, start to end", $"{jobTime.TotalSeconds:0.00} s"],
            ["Users queued per second", $"{progress.Processed / jobTime.TotalSeconds:N0}"],
            ["Outcome", $"{progress.State}: {progress.Counts}"],
            ["Outbox rows / audit events written", $"{outbox:N0} / {audits:N0}"],
            ["Check", ok ? "every user got one code and one queued email" : "!!! NOT EVERY USER GOT A CODE !!!"],
        ]);
        async Task<(BulkResendPreview Preview, TimeSpan Time)> TimePreviewAsync(SeededOrg org)
        {
            await bulk.PreviewAsync(org.Scope, target, ct);
            var watch = Stopwatch.StartNew();
            var result = await bulk.PreviewAsync(org.Scope, target, ct);
            return (result, watch.Elapsed);
        }

        report.Line($"Writes: {BulkResendService.BatchSize} users per write-queue item, several items in flight, so the group commit takes them together; mail is queued, not sent (dispatcher off).");
        return ok;
    }

    private static async Task<(double Median, UserPage Page)> TimeAsync(OrgUserAdminService service, SeededOrg org, UserSearch search, Settings settings, CancellationToken ct)
    {
        UserPage page = null!;
        for (var i = 0; i < Math.Max(2, settings.SearchRuns / 3); i++)
        {
            page = await service.SearchAsync(org.Scope, search, ct);
        }

        var times = new List<double>(settings.SearchRuns);
        for (var i = 0; i < settings.SearchRuns; i++)
        {
            var clock = Stopwatch.StartNew();
            page = await service.SearchAsync(org.Scope, search, ct);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], page);
    }

    /// <summary>
    /// An organization of <paramref name="count"/> users with made-up names: 70 % pending, 25 % registered, 5 %
    /// deactivated, created over the last two years (oldest first), all in one transaction of one prepared INSERT.
    /// With <paramref name="allPending"/>, every user is pending and was invited a month ago.
    /// </summary>
    private static async Task<SeededOrg> SeedOrganizationAsync(IDbContextFactory<PortalDbContext> contexts, string name, int count, CancellationToken ct, bool allPending = false)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var orgId = Ids.New(Ids.Organization);
        db.Organizations.Add(new Organization { Id = orgId, Name = name, CreatedAt = now });
        await db.SaveChangesAsync(ct);

        var toBinary = new DateTimeOffsetToBinaryConverter();
        var random = new Random(count);
        var span = TimeSpan.FromDays(730);
        string? narrow = null;
        string? broad = null;
        await db.Database.OpenConnectionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size=-1048576;", ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await using var insert = db.Database.GetDbConnection().CreateCommand();
        insert.Transaction = tx.GetDbTransaction();
        insert.CommandText = """
            INSERT INTO Users (Id, OrgId, Username, NormalizedUsername, Kind, IsActive, IsRegistered, CreatedAt, RegisteredAt)
            VALUES ($id, $org, $username, $normalized, $kind, $active, $registered, $created, $registeredAt)
            """;
        var id = Add("$id");
        var username = Add("$username");
        var normalized = Add("$normalized");
        var kind = Add("$kind");
        var active = Add("$active");
        var registered = Add("$registered");
        var created = Add("$created");
        var registeredAt = Add("$registeredAt");
        Add("$org").Value = orgId;
        insert.Prepare();

        for (var i = 0; i < count; i++)
        {
            var last = LastNames[random.Next(LastNames.Length)];
            var email = $"{FirstNames[random.Next(FirstNames.Length)]}.{last}{i}@{Domains[random.Next(Domains.Length)]}";
            var createdAt = allPending ? now.AddDays(-30).AddSeconds(-i) : now - span + TimeSpan.FromTicks(span.Ticks / count * i);
            var slot = allPending ? 10 : i % 20;
            id.Value = Ids.New(Ids.User);
            username.Value = email;
            normalized.Value = EmailAddress.Normalize(email);
            kind.Value = i % 3 == 0 ? nameof(UserKind.CustomerEmployee) : nameof(UserKind.EndUser);
            active.Value = slot != 0;
            registered.Value = slot is >= 1 and <= 5;
            created.Value = toBinary.ConvertToProvider(createdAt);
            registeredAt.Value = slot is >= 1 and <= 5 ? toBinary.ConvertToProvider(createdAt.AddDays(1)) : DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
            if (i == count / 2)
            {
                // Part of one user's email: what an admin types to find one person.
                narrow = $"{last[2..]}{i}@";
                broad = last;
            }
        }

        await tx.CommitAsync(ct);

        // Back to SQLite's default before the pooled connection serves the timed queries as the host's would.
        await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size=-2000;", ct);
        return new SeededOrg(orgId, count, ScopeOf(orgId), narrow!, broad!, now);

        System.Data.Common.DbParameter Add(string parameterName)
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = parameterName;
            insert.Parameters.Add(parameter);
            return parameter;
        }
    }

    private static AdminScope ScopeOf(string orgId) => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "bench-admin"), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "bench")))!;

    private sealed record SeededOrg(string OrgId, int Users, AdminScope Scope, string NarrowTerm, string BroadTerm, DateTimeOffset Now);
}
