using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Portal;

/// <summary>A platform admin creates an organization together with its first org admin, or nothing at all.</summary>
public sealed class OrganizationCreationTests(AdminPortalFixture fixture) : IClassFixture<AdminPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    private OrganizationAdminService Organizations => Host.Services.GetRequiredService<OrganizationAdminService>();

    private async Task<PlatformScope> PlatformAsync() =>
        PlatformScope.For(await fixture.PrincipalOfAsync(await fixture.CreateAdminAsync(null, "platform")))!;

    private Task<int> OrganizationsNamedAsync(string name) => Host.WithDbAsync(db => db.Organizations.CountAsync(o => o.Name == name));

    [Fact]
    public async Task The_new_organizations_admin_signs_in_and_works_in_it()
    {
        var platform = await PlatformAsync();
        var name = $"Created {Guid.NewGuid():N}";
        var email = PortalFactory.NewEmail("first-admin");

        var outcome = await Organizations.CreateAsync(platform, new NewOrganization($"  {name} ", email, "a long enough initial password"), "192.0.2.10");

        Assert.Equal(CreateOrganizationStatus.Created, outcome.Status);
        using var browser = new PortalBrowser(Host);
        await browser.SignInAsync(email, "a long enough initial password");
        var page = await browser.OpenAsync("/applications");
        Assert.Contains($"aria-label=\"Organization: {name}\"", page.Body, StringComparison.Ordinal);
        var trail = await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.OrgId == outcome.OrgId).OrderBy(e => e.Id).Select(e => new { e.Action, e.ActorId }).ToListAsync());
        Assert.Equal([AuditActions.OrganizationCreated, AuditActions.AdminCreated, AuditActions.AdminInvited], trail.Select(e => e.Action).ToArray());
        Assert.All(trail, e => Assert.Equal(platform.AdminId, e.ActorId));

        var found = await Organizations.SearchAsync(platform, new OrganizationSearch(name.ToUpperInvariant()));
        var row = Assert.Single(found.Items);
        Assert.Equal((outcome.OrgId, name, 1), (row.Id, row.Name, row.Admins));
    }

    [Fact]
    public async Task A_taken_email_or_a_weak_password_creates_nothing_and_says_why()
    {
        var platform = await PlatformAsync();
        var taken = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        var name = $"Refused {Guid.NewGuid():N}";

        var duplicate = await Organizations.CreateAsync(platform, new NewOrganization(name, taken.Email.ToUpperInvariant(), "a long enough initial password"), null);
        var weak = await Organizations.CreateAsync(platform, new NewOrganization(name, PortalFactory.NewEmail("weak"), "short"), null);
        var badEmail = await Organizations.CreateAsync(platform, new NewOrganization(name, "not an email", "a long enough initial password"), null);
        var noName = await Organizations.CreateAsync(platform, new NewOrganization("   ", PortalFactory.NewEmail("noname"), "a long enough initial password"), null);

        Assert.Equal(CreateOrganizationStatus.DuplicateEmail, duplicate.Status);
        Assert.Equal(CreateOrganizationStatus.PasswordRejected, weak.Status);
        Assert.Contains(weak.Problems!, p => p.Contains("12", StringComparison.Ordinal));
        Assert.Equal(CreateOrganizationStatus.InvalidEmail, badEmail.Status);
        Assert.Equal(CreateOrganizationStatus.InvalidName, noName.Status);
        Assert.Equal(0, await OrganizationsNamedAsync(name));
    }

    [Fact]
    public async Task A_taken_name_a_taken_email_and_a_weak_password_are_all_reported_at_once_each_for_its_field()
    {
        var platform = await PlatformAsync();
        var name = $"Taken {Guid.NewGuid():N}";
        var orgId = await Host.CreateOrganizationAsync(name);
        var taken = await fixture.CreateAdminAsync(orgId);

        var outcome = await Organizations.CreateAsync(platform, new NewOrganization($" {name.ToUpperInvariant()} ", taken.Email, "short"), null);

        Assert.Equal(CreateOrganizationStatus.DuplicateName, outcome.Status);
        Assert.Equal($"An organization named {name.ToUpperInvariant()} already exists. Choose another name.", outcome.NameProblem);
        Assert.Equal(OrganizationAdminService.DuplicateEmail, outcome.EmailProblem);
        Assert.Contains(outcome.Problems!, p => p.Contains("12", StringComparison.Ordinal));
        Assert.Equal([outcome.NameProblem!, outcome.EmailProblem!, .. outcome.Problems!], outcome.AllProblems);
        Assert.Equal(1, await OrganizationsNamedAsync(name));
    }

    [Theory]
    [InlineData("Acme\r\nInjected line")]
    [InlineData("Acme\nCorp")]
    [InlineData("Acme\rCorp")]
    [InlineData("Acme\tCorp")]
    [InlineData("Acme\u0000Corp")]
    [InlineData("Acme\u001b[31mCorp")]
    [InlineData("Acme\u0085Corp")]
    [InlineData("Acme\u2028Corp")]
    [InlineData("Acme \u202egnp.exe")]
    [InlineData("Acme LONE-SURROGATE Corp")]
    public async Task A_name_with_a_line_break_or_control_character_is_refused_with_a_clear_message_and_creates_nothing(string badName)
    {
        var platform = await PlatformAsync();
        // An attribute cannot carry half a surrogate pair (its strings are stored as UTF-8): made here instead.
        var name = $"{badName.Replace("LONE-SURROGATE", "\ud800", StringComparison.Ordinal)} {Guid.NewGuid():N}";

        var outcome = await Organizations.CreateAsync(platform, new NewOrganization(name, PortalFactory.NewEmail("ctl"), "a long enough initial password"), null);

        Assert.Equal(CreateOrganizationStatus.InvalidName, outcome.Status);
        Assert.Equal(0, await OrganizationsNamedAsync(name));

        // The operator's door refuses it too, with the same words, and writes nothing.
        var service = Host.Services.GetRequiredService<OrganizationService>();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => service.CreateAsync(name, RegistrationPortal.Web.Shared.Actor.Operator("test")));
        Assert.StartsWith("An organization name must be one line of text: no line breaks, tabs or other control characters.", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await OrganizationsNamedAsync(name.Trim()));
        var orgId = await Host.CreateOrganizationAsync();
        var app = await Assert.ThrowsAsync<ArgumentException>(() => service.CreateApplicationAsync(orgId, name, RegistrationPortal.Web.Shared.Actor.Operator("test")));
        Assert.StartsWith("An application name must be one line of text", app.Message, StringComparison.Ordinal);

        // And so does the applications page's service, with words for the page rather than an exception.
        var admin = await fixture.CreateAdminAsync(orgId);
        var page = await Host.Services.GetRequiredService<ApplicationAdminService>().CreateAsync(await fixture.ScopeOfAsync(admin), name, null);
        Assert.Equal((null, "The name must be one line of text: no line breaks, tabs or other control characters."), (page.Application, page.Problem));
        Assert.Equal(0, await Host.WithDbAsync(db => db.Applications.CountAsync(a => a.OrgId == orgId)));
    }

    [Fact]
    public async Task Of_concurrent_creations_with_one_admin_email_one_wins_and_the_others_leave_no_organization()
    {
        var platform = await PlatformAsync();
        var email = PortalFactory.NewEmail("contested");
        var names = Enumerable.Range(0, 4).Select(i => $"Contested {i} {Guid.NewGuid():N}").ToList();

        // Some lose at the up-front check, some only when the admin is written (and then their organization is removed again).
        var outcomes = await Task.WhenAll(names.Select(n => Organizations.CreateAsync(platform, new NewOrganization(n, email, "a long enough initial password"), null)));

        var winner = Assert.Single(outcomes, o => o.Status == CreateOrganizationStatus.Created);
        Assert.All(outcomes.Where(o => o != winner), o => Assert.Contains(o.Status, new[] { CreateOrganizationStatus.DuplicateEmail, CreateOrganizationStatus.Failed }));
        var left = await Host.WithDbAsync(db => db.Organizations.Where(o => names.Contains(o.Name)).Select(o => o.Id).ToListAsync());
        Assert.Equal([winner.OrgId!], left);
    }

    [Fact]
    public async Task Only_a_platform_admin_gets_a_platform_scope()
    {
        var orgAdmin = await fixture.CreateAdminAsync(await Host.CreateOrganizationAsync());
        Assert.Null(PlatformScope.For(await fixture.PrincipalOfAsync(orgAdmin)));
        Assert.NotNull(PlatformScope.For(await fixture.PrincipalOfAsync(await fixture.CreateAdminAsync(null, "platform"))));
    }
}
