using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Email.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>The development mailbox over the real pickup folder, which holds every organization's mail.</summary>
public sealed partial class DevelopmentMailboxPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task Lists_the_organizations_mail_opens_a_message_and_shows_no_other_organizations_mail()
    {
        var org = await Portal.CreateOrganizationAsync("Mailbox Org");
        var other = await Portal.CreateOrganizationAsync("Other Mailbox Org");
        var mine = $"reader-{Guid.NewGuid():N}@example.com";
        var theirs = $"elsewhere-{Guid.NewGuid():N}@example.com";
        await Portal.InviteAsync(org, mine);
        await Portal.InviteAsync(other, theirs);
        await DispatchAsync();
        SignInAsAdminOf(org);
        RunAs(Environments.Development);

        var page = Bunit.Render<DevelopmentMailboxPage>();

        page.WaitForAssertion(() => Assert.Contains(mine, page.Markup), Deadline);
        Assert.DoesNotContain(theirs, page.Markup);
        await page.Find($"[aria-label='Your registration code for Mailbox Org to {mine}']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains(CodeIn(FileTo(mine)), page.Find("[aria-label='Message']").TextContent, StringComparison.Ordinal), Deadline);

        // The other organization's message, asked for by its file name, is not opened either.
        var mailbox = Service<DevelopmentMailbox>();
        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), Path.GetFileName(FileTo(theirs))));
        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(other), Path.GetFileName(FileTo(theirs))));
    }

    [Fact]
    public async Task An_admin_whose_organization_has_the_same_address_never_sees_the_code_another_organization_mailed_to_it()
    {
        var orgA = await Portal.CreateOrganizationAsync("Mailbox A");
        var orgB = await Portal.CreateOrganizationAsync("Mailbox B");
        var shared = $"same-{Guid.NewGuid():N}@example.com";
        await Portal.InsertAsync(orgA, 1, _ => shared);
        await Portal.InviteAsync(orgB, shared);
        await DispatchAsync();
        var theirFile = FileTo(shared, "Mailbox B");
        var theirCode = CodeIn(theirFile);

        // Through the service: neither listed nor opened by file name.
        var mailbox = Service<DevelopmentMailbox>();
        Assert.DoesNotContain(await mailbox.ListAsync(ScopeOf(orgA)), e => e.Id == Path.GetFileName(theirFile));
        Assert.Empty(await mailbox.ListAsync(ScopeOf(orgA)));
        Assert.Null(await mailbox.ReadAsync(ScopeOf(orgA), Path.GetFileName(theirFile)));

        // Through the page: org A's admin sees only what org A sent, even once it mails the same address itself.
        await Portal.InviteAsync(orgA, $"other-{Guid.NewGuid():N}@example.com");
        await DispatchAsync();
        SignInAsAdminOf(orgA);
        RunAs(Environments.Development);
        var page = Bunit.Render<DevelopmentMailboxPage>();
        page.WaitForAssertion(() => Assert.Contains("Your registration code for Mailbox A", page.Markup, StringComparison.Ordinal), Deadline);
        Assert.DoesNotContain("Mailbox B", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(theirCode, page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(shared, page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_view_of_a_message_leaves_an_audit_event_in_the_viewing_admins_organization()
    {
        var org = await Portal.CreateOrganizationAsync("Mailbox Audit");
        var email = $"viewed-{Guid.NewGuid():N}@example.com";
        var userId = await Portal.InviteAsync(org, email);
        await DispatchAsync();
        var mailbox = Service<DevelopmentMailbox>();
        var entry = Assert.Single(await mailbox.ListAsync(ScopeOf(org)));

        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(org), entry.Id, "203.0.113.9"));
        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(org), entry.Id, "203.0.113.9"));

        var views = await WithDbAsync(db => db.AuditEvents.Where(e => e.Action == AuditActions.MailboxViewed && e.OrgId == org).ToListAsync());
        Assert.Equal(2, views.Count);
        Assert.All(views, v =>
        {
            Assert.Equal(AdminIdOf(org), v.ActorId);
            Assert.Equal(userId, v.SubjectId);
            Assert.Equal("203.0.113.9", v.ClientAddress);
        });
        Assert.Contains(AuditActions.MailboxViewed, AuditActions.All);
    }

    [Fact]
    public void Is_absent_outside_development()
    {
        SignInAsAdminOf("or-absent-absent-absentabsent01");
        RunAs(Environments.Production);

        var page = Bunit.Render<DevelopmentMailboxPage>();

        Assert.Contains("Page not found", page.Markup);
        Assert.DoesNotContain("Development mailbox", page.Markup);
    }

    private void RunAs(string environment) =>
        Bunit.Services.AddSingleton<IHostEnvironment>(new Environment { EnvironmentName = environment });

    /// <summary>Sends what the outbox holds through the real dispatcher into the pickup folder.</summary>
    private async Task DispatchAsync() => await Service<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None);

    private string FileTo(string address, string? organizationName = null) =>
        Directory.EnumerateFiles(Service<PickupDirectoryEmailTransport>().Directory, "*.eml")
            .Single(f => MimeMessage.Load(f) is var m && m.To.Mailboxes.Any(a => a.Address == address)
                && (organizationName is null || m.Subject?.EndsWith(organizationName, StringComparison.Ordinal) == true));

    private static string CodeIn(string file) => Code().Match(MimeMessage.Load(file).TextBody ?? "").Value;

    [GeneratedRegex("[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")]
    private static partial Regex Code();

    private sealed class Environment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "";

        public string ApplicationName { get; set; } = "RegistrationPortal.Web";

        public string ContentRootPath { get; set; } = "";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
