using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Users;

/// <summary>The users page's search, filters, sorts and bounded count, on the real SQLite schema with its trigram index.</summary>
public sealed class UserSearchTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private OrgUserAdminService Service => portal.Provider.GetRequiredService<OrgUserAdminService>();

    private IDbContextFactory<PortalDbContext> Contexts => portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    [Fact]
    public async Task A_search_finds_exactly_the_emails_that_contain_the_term_whatever_the_term_looks_like()
    {
        var org = await portal.CreateOrganizationAsync();
        string[] emails =
        [
            "alice.smith@example.com", "bob.smithers@corp.example", "carol@blacksmith.example", "dave.o'brien+news@example.org",
            "erin-near@example.com", "frank.or.and@example.com", "gina\"quote@example.com", "hal*star@example.com",
            "ivan^caret@example.com", "jo:colon@example.com", "kim@ünïcode.example", "lee@EXAMPLE.COM", "mo@ex.am",
        ];
        await portal.InsertAsync(org, emails.Length, i => emails[i]);
        string[] terms =
        [
            "smith", "SMITH", "mit", "@example", "+news", "o'b", "\"", "\"quote", "*", "*star", "or", "and", "near",
            "NEAR(", "-near", "^", "caret", ":colon", "ünï", "ÜNÏCODE", "e", "ex", "exam", "xyz-none", "h@e", "m@", " lee ",
        ];

        foreach (var term in terms)
        {
            var page = await Service.SearchAsync(SeededUsers.AdminOf(org), new UserSearch(Text: term, Status: UserStatusFilter.All, PageSize: 100));

            var expected = emails.Where(e => EmailAddress.Normalize(e).Contains(EmailAddress.Normalize(term), StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Assert.True(expected.SequenceEqual(page.Items.Select(r => r.Email).Order(StringComparer.Ordinal)), $"search for '{term}' found: {string.Join(", ", page.Items.Select(r => r.Email))}");
            Assert.Equal(expected.Count(), page.TotalItems);
        }
    }

    [Fact]
    public async Task A_search_never_shows_another_organizations_users()
    {
        var org = await portal.CreateOrganizationAsync();
        var other = await portal.CreateOrganizationAsync("Other");
        await portal.InsertAsync(org, 3, i => $"shared-name-{i}@mine.example");
        await portal.InsertAsync(other, 3, i => $"shared-name-{i}@theirs.example");

        var page = await Service.SearchAsync(SeededUsers.AdminOf(org), new UserSearch(Text: "shared-name", Status: UserStatusFilter.All));

        Assert.Equal(3, page.TotalItems);
        Assert.All(page.Items, r => Assert.EndsWith("@mine.example", r.Email, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_index_follows_renamed_and_deleted_users_and_stays_consistent()
    {
        var org = await portal.CreateOrganizationAsync();
        var ids = await portal.InsertAsync(org, 3, i => $"before-{i}@rename.example");
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            await db.OrgUsers.Where(u => u.Id == ids[0]).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.Username, "after-0@rename.example")
                .SetProperty(u => u.NormalizedUsername, "AFTER-0@RENAME.EXAMPLE"));
            await db.OrgUsers.Where(u => u.Id == ids[1]).ExecuteDeleteAsync();
        }

        var before = await Service.SearchAsync(SeededUsers.AdminOf(org), new UserSearch(Text: "before-", Status: UserStatusFilter.All));
        var after = await Service.SearchAsync(SeededUsers.AdminOf(org), new UserSearch(Text: "after-", Status: UserStatusFilter.All));

        Assert.Equal(["before-2@rename.example"], before.Items.Select(r => r.Email));
        Assert.Equal(["after-0@rename.example"], after.Items.Select(r => r.Email));
        await AssertIndexConsistentAsync();
    }

    [Fact]
    public async Task Vacuum_does_not_disturb_the_search()
    {
        var org = await portal.CreateOrganizationAsync();
        var ids = await portal.InsertAsync(org, 40, i => $"vacuum-{i:00}@gaps.example");
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            var evens = ids.Where((_, i) => i % 2 == 0).ToList();
            await db.OrgUsers.Where(u => evens.Contains(u.Id)).ExecuteDeleteAsync();
        }

        await portal.ExecuteSqlAsync("VACUUM;");

        var page = await Service.SearchAsync(SeededUsers.AdminOf(org), new UserSearch(Text: "vacuum-1", Status: UserStatusFilter.All, Sort: UserSort.Email, Descending: false));
        Assert.Equal(["vacuum-11@gaps.example", "vacuum-13@gaps.example", "vacuum-15@gaps.example", "vacuum-17@gaps.example", "vacuum-19@gaps.example"], page.Items.Select(r => r.Email));
        await AssertIndexConsistentAsync();
    }

    [Fact]
    public async Task Status_and_creation_filters_and_both_sorts_page_through_without_gaps_or_repeats()
    {
        var org = await portal.CreateOrganizationAsync();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        UserStatus StatusOf(int i) => (i % 4) switch { 0 => UserStatus.Registered, 1 => UserStatus.Deactivated, _ => UserStatus.Pending };
        var ids = await portal.InsertAsync(org, 120, i => $"u{i:000}@filters.example", i => start.AddHours(i / 2), StatusOf);
        var admin = SeededUsers.AdminOf(org);

        // Two users share each creation time: the id breaks the tie, so no page repeats or skips one of them.
        var pending = await AllPagesAsync(new UserSearch(Status: UserStatusFilter.Pending, PageSize: 25));
        var expectedPending = Enumerable.Range(0, 120).Where(i => StatusOf(i) == UserStatus.Pending)
            .OrderByDescending(i => i / 2).ThenBy(i => ids[i], StringComparer.Ordinal)
            .Select(i => $"u{i:000}@filters.example");
        Assert.Equal(expectedPending, pending.Select(r => r.Email));
        Assert.All(pending, r => Assert.Equal(UserStatus.Pending, r.Status));

        var registeredByEmail = await AllPagesAsync(new UserSearch(Status: UserStatusFilter.Registered, Sort: UserSort.Email, Descending: true, PageSize: 7));
        Assert.Equal(Enumerable.Range(0, 120).Where(i => i % 4 == 0).Select(i => $"u{i:000}@filters.example").OrderDescending(StringComparer.Ordinal), registeredByEmail.Select(r => r.Email));

        var deactivatedInRange = await Service.SearchAsync(admin, new UserSearch(Status: UserStatusFilter.Deactivated, CreatedFrom: start.AddHours(10), CreatedTo: start.AddHours(20), Sort: UserSort.Created, Descending: false));
        Assert.Equal(Enumerable.Range(20, 20).Where(i => i % 4 == 1).Select(i => $"u{i:000}@filters.example"), deactivatedInRange.Items.Select(r => r.Email));

        async Task<List<UserRow>> AllPagesAsync(UserSearch search)
        {
            var rows = new List<UserRow>();
            for (var page = 0; ; page++)
            {
                var result = await Service.SearchAsync(admin, search with { Page = page });
                rows.AddRange(result.Items);
                Assert.False(result.MoreThanTotal);
                if (rows.Count >= result.TotalItems)
                {
                    Assert.Equal(result.TotalItems, rows.Count);
                    Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count());
                    return rows;
                }
            }
        }
    }

    [Fact]
    public async Task Past_ten_thousand_the_count_says_more_than_and_paging_on_moves_the_limit()
    {
        var org = await portal.CreateOrganizationAsync();
        await portal.InsertAsync(org, OrgUserAdminService.CountLimit + 30, i => $"many-{i:00000}@count.example");
        var admin = SeededUsers.AdminOf(org);

        var first = await Service.SearchAsync(admin, new UserSearch(PageSize: 25));
        var second = await Service.SearchAsync(admin, new UserSearch(PageSize: 25, Page: 1));
        var atTheLimit = await Service.SearchAsync(admin, new UserSearch(PageSize: 25, Page: 400));
        var last = await Service.SearchAsync(admin, new UserSearch(PageSize: 25, Page: 401));

        Assert.True(first.MoreThanTotal);
        Assert.Equal(OrgUserAdminService.CountLimit, first.TotalItems);
        Assert.Equal(25, first.Items.Count);
        Assert.Empty(first.Items.Select(r => r.Id).Intersect(second.Items.Select(r => r.Id)));
        Assert.True(first.Items[^1].CreatedAt >= second.Items[0].CreatedAt);
        Assert.False(atTheLimit.MoreThanTotal);
        Assert.Equal(OrgUserAdminService.CountLimit + 30, atTheLimit.TotalItems);
        Assert.Equal(5, last.Items.Count);
        Assert.Equal(OrgUserAdminService.CountLimit + 30, last.TotalItems);
        Assert.Equal("many-00000@count.example", last.Items[^1].Email);
    }

    [Fact]
    public async Task A_common_term_in_a_large_organization_pages_in_order_and_counts_to_the_search_limit()
    {
        // More matches than a rare term has, in an organization too large to test each user for the count.
        var org = await portal.CreateOrganizationAsync();
        var size = 20_050;
        await portal.InsertAsync(org, size, i => i % 2 == 0 ? $"common-{i:00000}@large.example" : $"other-{i:00000}@large.example");
        var admin = SeededUsers.AdminOf(org);

        var first = await Service.SearchAsync(admin, new UserSearch(Text: "common-", PageSize: 25));
        var byEmail = await Service.SearchAsync(admin, new UserSearch(Text: "common-", Sort: UserSort.Email, Descending: false, PageSize: 10));

        Assert.True(first.MoreThanTotal);
        Assert.Equal(OrgUserAdminService.SearchCountLimit, first.TotalItems);
        Assert.Equal(Enumerable.Range(0, 25).Select(k => $"common-{size - 2 - (2 * k):00000}@large.example"), first.Items.Select(r => r.Email));
        Assert.Equal(Enumerable.Range(0, 10).Select(k => $"common-{2 * k:00000}@large.example"), byEmail.Items.Select(r => r.Email));
    }

    [Theory]
    [InlineData(UserStatusFilter.Pending, UserSort.Created, "IX_Users_Pending_ByCreated")]
    [InlineData(UserStatusFilter.Pending, UserSort.Email, "IX_Users_Pending_ByEmail")]
    [InlineData(UserStatusFilter.Registered, UserSort.Created, "IX_Users_Registered_ByCreated")]
    [InlineData(UserStatusFilter.Registered, UserSort.Email, "IX_Users_Registered_ByEmail")]
    [InlineData(UserStatusFilter.Deactivated, UserSort.Created, "IX_Users_Deactivated_ByCreated")]
    [InlineData(UserStatusFilter.Deactivated, UserSort.Email, "IX_Users_Deactivated_ByEmail")]
    [InlineData(UserStatusFilter.All, UserSort.Created, "IX_Users_OrgId_CreatedAt")]
    [InlineData(UserStatusFilter.All, UserSort.Email, "IX_Users_OrgId_NormalizedUsername")]
    public async Task Each_status_and_sort_reads_the_first_page_in_index_order_without_sorting_the_organization(UserStatusFilter status, UserSort sort, string index)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var search = new UserSearch(Status: status, Sort: sort);

        var plan = await QueryPlans.ExplainAsync(OrgUserAdminService.Sorted(OrgUserAdminService.Filtered(db, SeededUsers.AdminOf("or-plans-plans-plansplansplans1"), search, lookup: false), search).Take(25));

        Assert.Contains(plan, line => line.Contains($"INDEX {index} ", StringComparison.Ordinal));
        Assert.DoesNotContain("USE TEMP B-TREE FOR ORDER BY", plan);
    }

    [Fact]
    public async Task A_rare_term_is_looked_up_in_the_trigram_index_first()
    {
        await using var db = await Contexts.CreateDbContextAsync();
        var search = new UserSearch(Text: "smith", Status: UserStatusFilter.Pending);

        var plan = await QueryPlans.ExplainAsync(OrgUserAdminService.Sorted(OrgUserAdminService.Filtered(db, SeededUsers.AdminOf("or-plans-plans-plansplansplans1"), search, lookup: true), search).Take(25));

        Assert.StartsWith("SCAN UsersSearch VIRTUAL TABLE", plan[0], StringComparison.Ordinal);
        Assert.Contains(plan, line => line.StartsWith("SEARCH Users USING INTEGER PRIMARY KEY", StringComparison.Ordinal));
    }

    private async Task AssertIndexConsistentAsync()
    {
        // FTS5 compares its index with the Users rows it was built from and raises an error on any difference.
        await portal.ExecuteSqlAsync("""INSERT INTO "UsersSearch"("UsersSearch", rank) VALUES ('integrity-check', 1);""");
    }
}
