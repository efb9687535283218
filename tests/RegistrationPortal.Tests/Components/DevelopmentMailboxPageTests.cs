using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MudBlazor;
using MudBlazor.Services;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Email.Pages;

namespace RegistrationPortal.Tests.Components;

public sealed class DevelopmentMailboxPageTests : IClassFixture<PortalServices>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly PortalServices _portal;
    private readonly BunitContext _bunit = new();

    public DevelopmentMailboxPageTests(PortalServices portal)
    {
        _portal = portal;
        _bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        _bunit.Services.AddMudServices(o => o.PopoverOptions.CheckForPopoverProvider = false);
        _bunit.Services.AddFallbackServiceProvider(portal.Provider);
        var auth = _bunit.AddAuthorization();
        auth.SetAuthorized("admin@example.com");
        auth.SetRoles(PortalRoles.OrgAdmin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, "admin-1"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bunit.DisposeAsync();

    private void RunAs(string environment) =>
        _bunit.Services.AddSingleton<IHostEnvironment>(new Environment { EnvironmentName = environment });

    [Fact]
    public async Task Lists_the_pickup_folder_newest_first_and_opens_a_message()
    {
        var to = $"reader-{Guid.NewGuid():N}@example.com";
        await DeliverAsync(to, "Your registration code for Acme", "Your registration code is:\n\n    K7QH-3MZP-W9XD-R2TF");
        RunAs(Environments.Development);

        var page = _bunit.Render<DevelopmentMailboxPage>();

        page.WaitForAssertion(() => Assert.Contains(to, page.Markup), Deadline);
        await page.Find($"[aria-label='Your registration code for Acme to {to}']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("K7QH-3MZP-W9XD-R2TF", page.Find("[aria-label='Message']").TextContent), Deadline);
    }

    [Fact]
    public void Is_absent_outside_development()
    {
        RunAs(Environments.Production);

        var page = _bunit.Render<DevelopmentMailboxPage>();

        Assert.Contains("Page not found", page.Markup);
        Assert.DoesNotContain("Development mailbox", page.Markup);
    }

    private async Task DeliverAsync(string to, string subject, string text)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("portal@example.com"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = text };
        await using var session = await _portal.Provider.GetRequiredService<PickupDirectoryEmailTransport>().OpenAsync(CancellationToken.None);
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
