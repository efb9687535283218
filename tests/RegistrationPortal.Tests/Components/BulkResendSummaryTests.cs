using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Features.Users.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>
/// A bulk resend's summary names the users who got no code, each linked to their page, up to a limit; past it, it
/// says how many more there are (the audit trail has every one).
/// </summary>
public sealed class BulkResendSummaryTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task The_summary_lists_the_first_50_users_who_got_no_code_with_links_and_counts_the_rest()
    {
        var org = await Portal.CreateOrganizationAsync();
        var registered = await Portal.InsertAsync(org, 30, i => $"done-{i:00}@summary.example", status: _ => UserStatus.Registered);
        var deactivated = await Portal.InsertAsync(org, 25, i => $"off-{i:00}@summary.example", status: _ => UserStatus.Deactivated);
        var pending = await Portal.InsertAsync(org, 2, i => $"waiting-{i}@summary.example");
        const string stranger = "user-not-in-this-organization";
        var emailOf = (await WithDbAsync(db => db.OrgUsers.Where(u => u.OrgId == org).ToDictionaryAsync(u => u.Id, u => u.Username)));
        var job = await Service<BulkResendJobs>().StartAsync(ScopeOf(org), new BulkResendTarget.Selected([stranger, .. pending, .. registered, .. deactivated]), null);
        Assert.NotNull(job);
        await job.Completion;

        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("2 sent, 0 throttled, 30 already registered, 25 deactivated, 1 not found.", page.Markup), Deadline);

        var list = page.Find("[aria-label='Bulk resend summary'] ul");
        Assert.Equal("No code went to these users (the first 50 of 56):", page.Find($"#{list.GetAttribute("aria-labelledby")}").TextContent.Trim());
        var items = list.QuerySelectorAll("li");
        Assert.Equal(50, items.Length);
        foreach (var item in items)
        {
            var link = item.QuerySelector("a");
            if (link is null)
            {
                // An id that is no user of the organization has no page to open.
                Assert.Equal($"{stranger}: not found in your organization", Squeeze(item.TextContent));
                continue;
            }

            var id = Uri.UnescapeDataString(link.GetAttribute("href")!["users/".Length..]);
            Assert.Equal(emailOf[id], link.TextContent.Trim());
            var reason = registered.Contains(id) ? "already registered" : deactivated.Contains(id) ? "deactivated" : "(a pending user was listed)";
            Assert.Equal($"{emailOf[id]}: {reason}", Squeeze(item.TextContent));
        }

        Assert.Contains("And 6 more: the audit trail lists every one.", page.Markup);

        // And the audit trail does: one event for each of the 56.
        var audited = await WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrgId == org && (e.Action == AuditActions.ResendSkipped || e.Action == AuditActions.AccessDenied)));
        Assert.Equal(56, audited);
    }

    [Fact]
    public async Task A_summary_where_everyone_got_a_code_lists_no_one()
    {
        var org = await Portal.CreateOrganizationAsync();
        var pending = await Portal.InsertAsync(org, 3, i => $"all-{i}@summary.example");
        var job = await Service<BulkResendJobs>().StartAsync(ScopeOf(org), new BulkResendTarget.Selected(pending.ToList()), null);
        Assert.NotNull(job);
        await job.Completion;

        SignInAsAdminOf(org);
        var page = RenderInteractive<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("3 sent, 0 throttled, 0 already registered, 0 deactivated, 0 not found.", page.Markup), Deadline);
        Assert.Empty(page.FindAll("[aria-label='Bulk resend summary'] ul"));
        Assert.DoesNotContain("No code went to", page.Markup);
    }

    private static string Squeeze(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
}
