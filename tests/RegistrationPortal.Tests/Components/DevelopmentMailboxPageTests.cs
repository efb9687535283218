using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using MimeKit;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Email.Pages;

namespace RegistrationPortal.Tests.Components;

/// <summary>The development mailbox over the real pickup folder, which holds every organization's mail.</summary>
public sealed class DevelopmentMailboxPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    [Fact]
    public async Task Lists_the_organizations_mail_newest_first_opens_a_message_and_shows_no_other_organizations_mail()
    {
        var org = await Portal.CreateOrganizationAsync("Mailbox Org");
        var other = await Portal.CreateOrganizationAsync("Other Mailbox Org");
        var mine = $"reader-{Guid.NewGuid():N}@example.com";
        var theirs = $"elsewhere-{Guid.NewGuid():N}@example.com";
        await Portal.InsertAsync(org, 1, _ => mine);
        await Portal.InsertAsync(other, 1, _ => theirs);
        await DeliverAsync(mine, "Your registration code for Mailbox Org", "Your registration code is:\n\n    K7QH-3MZP-W9XD-R2TF");
        await DeliverAsync(theirs, "Your registration code for Other Mailbox Org", "Your registration code is:\n\n    ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        SignInAsAdminOf(org);
        RunAs(Environments.Development);

        var page = Bunit.Render<DevelopmentMailboxPage>();

        page.WaitForAssertion(() => Assert.Contains(mine, page.Markup), Deadline);
        Assert.DoesNotContain(theirs, page.Markup);
        await page.Find($"[aria-label='Your registration code for Mailbox Org to {mine}']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("K7QH-3MZP-W9XD-R2TF", page.Find("[aria-label='Message']").TextContent), Deadline);

        // The other organization's message, asked for by its file name, is not opened either.
        var mailbox = Portal.Provider.GetRequiredService<DevelopmentMailbox>();
        var theirFile = Directory.EnumerateFiles(Portal.Provider.GetRequiredService<PickupDirectoryEmailTransport>().Directory, "*.eml")
            .Single(f => File.ReadAllText(f).Contains(theirs, StringComparison.Ordinal));
        Assert.Null(await mailbox.ReadAsync(ScopeOf(org), Path.GetFileName(theirFile)));
        Assert.NotNull(await mailbox.ReadAsync(ScopeOf(other), Path.GetFileName(theirFile)));
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

    private async Task DeliverAsync(string to, string subject, string text)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("portal@example.com"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = text };
        await using var session = await Portal.Provider.GetRequiredService<PickupDirectoryEmailTransport>().OpenAsync(CancellationToken.None);
        await session.SendAsync(message, CancellationToken.None);
    }

    private sealed class Environment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "";

        public string ApplicationName { get; set; } = "RegistrationPortal.Web";

        public string ContentRootPath { get; set; } = "";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
