using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.ScaleOut;

/// <summary>
/// What only PostgreSQL has: the trigram index behind email search, the public doors' requests resolved in writes side by
/// side, and the verbs that work on a SQLite file only.
/// </summary>
public sealed class PostgresOnlyTests(PostgresAdminPortalFixture fixture) : IClassFixture<PostgresAdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task Email_search_finds_any_part_of_the_address_through_the_trigram_index_and_takes_wildcards_literally()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var admin = await fixture.CreateAdminAsync(orgId);
        await using (var connection = new NpgsqlConnection(Host.ConnectionString))
        {
            // Enough users (100,000) that the planner prefers the index to reading the organization through.
            await connection.OpenAsync();
            await using var fill = new NpgsqlCommand("""
                INSERT INTO "Users" ("Id", "OrgId", "Username", "NormalizedUsername", "Kind", "IsActive", "IsRegistered", "CreatedAt")
                SELECT 'us-trgm-' || n, @org, 'user' || n || '@filler.example', 'USER' || n || '@FILLER.EXAMPLE', 'EndUser', true, false, n
                FROM generate_series(1, 100000) AS n;
                ANALYZE "Users";
                """, connection);
            fill.Parameters.AddWithValue("org", orgId);
            await fill.ExecuteNonQueryAsync();
        }

        var wildcard = $"a_b%c-{Guid.NewGuid():N}@Example.com";
        await Host.InviteAsync(orgId, wildcard);
        await Host.InviteAsync(orgId, $"axbyc-{Guid.NewGuid():N}@example.com");
        await Host.InviteAsync(orgId, $"Zebra.Quokka-{Guid.NewGuid():N}@example.com");
        var scope = await fixture.ScopeOfAsync(admin);
        var users = Host.Services.GetRequiredService<OrgUserAdminService>();

        var found = await users.SearchAsync(scope, new UserSearch(Text: "ra.quok"));
        Assert.Contains("Zebra.Quokka", Assert.Single(found.Items).Email, StringComparison.Ordinal);
        found = await users.SearchAsync(scope, new UserSearch(Text: "A_B%C"));
        Assert.Equal(wildcard, Assert.Single(found.Items).Email);
        var common = await users.SearchAsync(scope, new UserSearch(Text: "filler"));
        Assert.Equal(25, common.Items.Count);
        Assert.All(common.Items, u => Assert.Contains("@filler.example", u.Email, StringComparison.Ordinal));

        await using var db = await Host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var term = EmailAddress.Normalize("ra.quok");
        var plan = string.Join('\n', await QueryPlans.ExplainAsync(OrgUserAdminService.PageQuery(db, scope, new UserSearch(Text: term), await UserTextSearch.IsRareAsync(db, term, default))));
        Assert.True(plan.Contains(UserTextSearch.PostgresIndexName, StringComparison.Ordinal), plan);
    }

    [Fact]
    public async Task A_backlog_of_requests_larger_than_one_write_is_resolved_side_by_side_with_one_code_for_each_user()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var users = new List<(string Email, string Id)>();
        for (var i = 0; i < 300; i++)
        {
            var email = PortalFactory.NewEmail($"backlog{i:000}");
            users.Add((email, await Host.InviteAsync(orgId, email)));
        }

        // Each user asked twice, a user's two requests 300 apart in the order they are resolved in: the first write takes
        // 256 of them, the writes beside it the rest, so most users' two requests are in two writes at once. All were asked
        // for after the invitations and before any resend was resolved.
        var resolvers = PublicRequestProcessor.ResolversFor(Host.Services.GetRequiredService<PortalDatabase>());
        Assert.True(resolvers > 1, $"{resolvers} write at a time");
        var ids = users.Select(u => u.Id).ToList();
        var invited = await Host.WithDbAsync(db => db.RegistrationCodes.Where(c => ids.Contains(c.UserId)).MaxAsync(c => c.CreatedAt));
        var asked = invited;
        await Host.WithDbAsync(async db =>
        {
            var order = 0;
            foreach (var round in new[] { 1, 2 })
            {
                foreach (var (email, _) in users)
                {
                    // A microsecond apart, each after the last invitation; resolved in the order of their keys.
                    asked = asked.AddTicks(10);
                    db.PublicRequests.Add(new PublicRequest
                    {
                        Id = Guid.CreateVersion7(invited.AddMilliseconds(++order)),
                        Kind = PublicRequestKind.Resend,
                        OrgId = orgId,
                        NormalizedUsername = EmailAddress.Normalize(email),
                        ActorKind = ActorKind.ApiApplication,
                        ClientAddress = "127.0.0.1",
                        CreatedAt = asked,
                        CorrelationId = $"backlog-{round}",
                    });
                }
            }

            return await db.SaveChangesAsync();
        });
        Host.Services.GetRequiredService<PublicRequestSignal>().Notify();

        await Host.PublicRequestsResolvedAsync();
        foreach (var (_, id) in users)
        {
            // The invitation's code, and one code for both requests: the write that came second saw the first one's code.
            var codes = await Host.AllCodesAsync(id);
            Assert.Equal(2, codes.Count);
            var valid = Assert.Single(await Host.ValidCodesAsync(id));
            Assert.True(valid.CreatedAt > asked, $"{id}: the code was issued at {valid.CreatedAt:O}, before the last request ({asked:O})");
            Assert.Equal(2, (await Host.OutboxAsync(id)).Count);
        }
    }

    [Theory]
    [InlineData("backup", "--to")]
    [InlineData("restore", "--from")]
    public async Task Db_backup_and_restore_on_postgres_exit_2_and_name_pg_dump_instead(string verb, string option)
    {
        var working = Directory.CreateTempSubdirectory("regportal-pg-cli-");
        try
        {
            var result = await PortalProcess.RunAsync(working.FullName, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["ConnectionStrings__Portal"] = Host.ConnectionString,
                ["DataProtection__KeyEncryption__CertificatePath"] = Host.KeyEncryptionCertificatePath,
            }, "db", verb, option, Path.Combine(working.FullName, "portal.backup"));

            Assert.Equal(2, result.ExitCode);
            Assert.Empty(result.StdoutLines);
            Assert.Contains(DatabaseBackup.UsePgDump, result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(working.FullName));

            // The other verbs work on PostgreSQL as on SQLite.
            var org = await PortalProcess.RunAsync(working.FullName, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["ConnectionStrings__Portal"] = Host.ConnectionString,
                ["DataProtection__KeyEncryption__CertificatePath"] = Host.KeyEncryptionCertificatePath,
            }, "org", "create", "--name", "Made on PostgreSQL");
            Assert.Equal(0, org.ExitCode);
            var id = Assert.Single(org.StdoutLines);
            Assert.Equal("Made on PostgreSQL", await Host.WithDbAsync(db => db.Organizations.Where(o => o.Id == id).Select(o => o.Name).SingleAsync()));
        }
        finally
        {
            working.Delete(recursive: true);
        }
    }
}
