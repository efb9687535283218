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
        var outboxId = await WithDbAsync(db => db.OutboxMessages.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync());

        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(org), entry.Id, "203.0.113.9"));
        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(org), entry.Id, "203.0.113.9"));

        var views = await WithDbAsync(db => db.AuditEvents.Where(e => e.Action == AuditActions.MailboxViewed && e.OrgId == org).ToListAsync());
        Assert.Equal(2, views.Count);
        Assert.All(views, v =>
        {
            Assert.Equal(AdminIdOf(org), v.ActorId);
            Assert.Equal(userId, v.SubjectId);
            Assert.Equal("203.0.113.9", v.ClientAddress);
            Assert.Equal($"development mailbox: message {outboxId:N}", v.Details);
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

    [Fact]
    public async Task Lists_the_newest_message_first_and_shows_one_without_a_recipient_subject_or_text_as_such()
    {
        var org = await Portal.CreateOrganizationAsync("Mailbox Order");
        var older = await OutboxRowAsync(org);
        var newer = await OutboxRowAsync(org);
        var unfinished = await OutboxRowAsync(org);
        var olderFile = Drop("20990101T000000000-older.eml", Message(older, "older@example.com", "Older", "the older one"));
        var bare = Message(newer, to: null, subject: null, text: null);
        bare.Body = new TextPart("html") { Text = "<p>only html</p>" };
        var newerFile = Drop("20990101T000000001-newer.eml", bare);

        // The pickup transport writes a message under a temporary name first: not a message of the mailbox yet.
        Drop(".20990101T000000002-unfinished.eml.tmp", Message(unfinished, "unfinished@example.com", "Unfinished", "half"));

        var mailbox = Service<DevelopmentMailbox>();
        var listed = await mailbox.ListAsync(ScopeOf(org));

        Assert.Equal([newerFile, olderFile], listed.Select(e => e.Id));
        Assert.Equal((null, "(no subject)"), (listed[0].To, listed[0].Subject));
        Assert.Equal(("older@example.com", "Older"), (listed[1].To, listed[1].Subject));
        var opened = await mailbox.ReadAsync(ScopeOf(org), newerFile);
        Assert.Equal("", opened?.Text);
        Assert.Equal("the older one", (await mailbox.ReadAsync(ScopeOf(org), olderFile))?.Text.TrimEnd());
    }

    [Fact]
    public async Task Opens_only_a_plain_eml_file_name_of_the_pickup_folderFileand_nothing_for_a_missing_one()
    {
        var org = await Portal.CreateOrganizationAsync("Mailbox Names");
        var message = Message(await OutboxRowAsync(org), "named@example.com", "Named", "the code is here");
        var mailbox = Service<DevelopmentMailbox>();
        var pickup = Service<PickupDirectoryEmailTransport>().Directory;
        var name = Drop($"20990102T000000000-{Guid.NewGuid():N}.eml", message);
        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(org), name));

        // The same message under a name without .eml, in a folder inside, and beside the pickup folder.
        var text = Drop($"20990102T000000000-{Guid.NewGuid():N}.txt", message);
        var inside = Path.Combine(pickup, "inside");
        Directory.CreateDirectory(inside);
        await message.WriteToAsync(Path.Combine(inside, name));
        var beside = $"beside-{Guid.NewGuid():N}.eml";
        await message.WriteToAsync(Path.Combine(pickup, "..", beside));

        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), text));
        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), $"inside/{name}"));
        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), $"../{beside}"));
        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), $"20990102T000000000-{Guid.NewGuid():N}.eml"));
    }

    /// <summary>An outbox row of the organization, as if it had been sent.</summary>
    private Task<Guid> OutboxRowAsync(string orgId) => WithDbAsync(async db =>
    {
        var row = OutboxMessage.Queued(DateTimeOffset.UtcNow, orgId, $"user-{Guid.NewGuid():N}", EmailKind.Code, "someone@example.com", null);
        row.Status = OutboxStatus.Sent;
        db.OutboxMessages.Add(row);
        await db.SaveChangesAsync();
        return row.Id;
    });

    private static MimeMessage Message(Guid outboxId, string? to, string? subject, string? text)
    {
        var message = new MimeMessage { MessageId = $"outbox-{outboxId:N}@portal.example" };
        message.From.Add(MailboxAddress.Parse("no-reply@portal.example"));
        if (subject is not null)
        {
            message.Subject = subject;
        }
        else
        {
            // A new MimeMessage has an empty Subject header; a message without one has none.
            message.Headers.Remove(HeaderId.Subject);
        }

        if (to is not null)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Body = new TextPart("plain") { Text = text ?? "" };
        return message;
    }

    /// <summary>Writes <paramref name="message"/> into the pickup folder as <paramref name="name"/>; returns the name.</summary>
    private string Drop(string name, MimeMessage message)
    {
        var pickup = Service<PickupDirectoryEmailTransport>().Directory;
        Directory.CreateDirectory(pickup);
        message.WriteTo(Path.Combine(pickup, name));
        return name;
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
