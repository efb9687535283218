using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Audit;

/// <summary>The audit trail service on a real SQLite file: paging, ordering and the bounded count of a big organization.</summary>
public sealed class AuditLogServiceTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private AuditLogService Audit => portal.Provider.GetRequiredService<AuditLogService>();

    private static AdminScope ScopeOf(string orgId) => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)], "test")))!;

    /// <summary>Adds <paramref name="count"/> events, one second apart from <paramref name="start"/>, in one transaction (one prepared insert: EF's tracking would take seconds).</summary>
    private Task<int> SeedAsync(string orgId, int count, DateTimeOffset start, string action = AuditActions.CodeSent) =>
        portal.WithDbAsync(async db =>
        {
            var at = new DateTimeOffsetToBinaryConverter();
            await db.Database.OpenConnectionAsync();
            await using var tx = await db.Database.BeginTransactionAsync();
            await using var insert = db.Database.GetDbConnection().CreateCommand();
            insert.CommandText = "INSERT INTO AuditEvents (OrgId, At, Action, ActorKind, ActorId, SubjectId) VALUES ($org, $at, $action, 'System', 'seed', $subject)";
            foreach (var name in new[] { "$org", "$at", "$action", "$subject" })
            {
                var parameter = insert.CreateParameter();
                parameter.ParameterName = name;
                insert.Parameters.Add(parameter);
            }

            insert.Parameters["$org"].Value = orgId;
            insert.Parameters["$action"].Value = action;
            for (var i = 0; i < count; i++)
            {
                insert.Parameters["$at"].Value = at.ConvertToProvider(start.AddSeconds(i));
                insert.Parameters["$subject"].Value = $"n{i}";
                await insert.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
            return count;
        });

    [Fact]
    public async Task A_big_organization_is_counted_up_to_the_limit_and_paged_newest_first()
    {
        var org = await portal.CreateOrganizationAsync();
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await SeedAsync(org, AuditLogService.CountLimit + 50, start);

        var first = await Audit.SearchAsync(ScopeOf(org), new AuditSearch(PageSize: 100));
        var last = await Audit.SearchAsync(ScopeOf(org), new AuditSearch(Page: AuditLogService.CountLimit / 100 - 1, PageSize: 100));

        Assert.Equal(AuditLogService.CountLimit, first.TotalItems);
        Assert.True(first.TotalIsLowerBound);
        Assert.Equal(100, first.Items.Count);
        Assert.Equal($"n{AuditLogService.CountLimit + 49}", first.Items[0].SubjectId);
        Assert.Equal(first.Items.OrderByDescending(e => e.At).Select(e => e.Id), first.Items.Select(e => e.Id));
        Assert.Equal("n50", last.Items[^1].SubjectId);
    }

    [Fact]
    public async Task A_narrower_filter_gets_an_exact_count_and_the_date_range_is_inclusive_of_its_start_and_exclusive_of_its_end()
    {
        var org = await portal.CreateOrganizationAsync();
        var start = new DateTimeOffset(2031, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await SeedAsync(org, 30, start, AuditActions.WrongCode);

        var page = await Audit.SearchAsync(ScopeOf(org), new AuditSearch(Action: AuditActions.WrongCode, From: start.AddSeconds(10), To: start.AddSeconds(20)));

        Assert.False(page.TotalIsLowerBound);
        Assert.Equal(10, page.TotalItems);
        Assert.Equal(Enumerable.Range(10, 10).Reverse().Select(i => $"n{i}"), page.Items.Select(e => e.SubjectId));
        Assert.All(page.Items, e => Assert.Equal("System (seed)", e.ActorText));
    }

    [Fact]
    public async Task A_registration_through_the_register_page_names_that_door_and_the_self_service_page_its_own()
    {
        var org = await portal.CreateOrganizationAsync();
        var at = new DateTimeOffset(2031, 4, 1, 0, 0, 0, TimeSpan.Zero);
        await portal.WithDbAsync(async db =>
        {
            db.Audit(at, org, AuditActions.RegistrationCompleted, Actor.RegisterPage("192.0.2.1"), "us-page");
            db.Audit(at.AddSeconds(1), org, AuditActions.CodeSent, Actor.SelfService("192.0.2.1"), "us-self");
            return await db.SaveChangesAsync();
        });

        var page = await Audit.SearchAsync(ScopeOf(org), new AuditSearch());

        Assert.Equal(["Self-service page", "Register page"], page.Items.Where(e => e.SubjectId is "us-page" or "us-self").Select(e => e.ActorText));
    }
}
