using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using RegistrationPortal.IntegrationTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// The development mailbox on a phone: a message opened from far down a long list shows at the top of the screen,
/// not below the whole list.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DevelopmentMailboxTests(BrowserFixture browser, DevelopmentMailboxTests.MailboxHost host) : IClassFixture<DevelopmentMailboxTests.MailboxHost>
{
    private const int Messages = 40;

    [Fact]
    public async Task On_a_phone_a_message_opened_from_far_down_the_list_shows_at_the_top_of_the_screen()
    {
        var admin = await host.Factory.CreateOrganizationWithAdminAsync("Mailbox Widgets");
        var emails = Enumerable.Range(0, Messages).Select(i => $"mail-{i:00}-{Guid.NewGuid():N}@mailbox.example").ToList();
        await host.Factory.InviteAllAsync(admin.OrgId, emails);
        var pickup = Path.Combine(host.Factory.DataDirectory, "pickup");
        await Wait.WaitUntilAsync(
            () => Directory.Exists(pickup) && Directory.GetFiles(pickup, "*.eml").Length >= Messages,
            $"{Messages} messages in the pickup folder");

        await using var session = await browser.OpenAsync(host.BaseAddress, width: 390, height: 844, phone: true);
        var page = session.Page;
        await Portal.SignInAtAsync(page, "dev/mailbox", admin.Email, admin.Password);
        var list = page.GetByRole(AriaRole.Listbox, new() { Name = "Messages" });
        await Expect(list.GetByRole(AriaRole.Option)).ToHaveCountAsync(Messages);

        // The last message of the list, thousands of pixels down.
        var oldest = list.GetByRole(AriaRole.Option).Last;
        var to = (await oldest.GetAttributeAsync("aria-label"))!.Split(" to ")[^1];
        await oldest.ScrollIntoViewIfNeededAsync();
        Assert.True(await page.EvaluateAsync<double>("() => window.scrollY") > 2000, "the list is not long enough to test");
        await oldest.TapAsync();

        var message = page.GetByLabel("Message", new() { Exact = true });
        await Expect(message).ToContainTextAsync($"To {to}");
        await Expect(message.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToBeInViewportAsync();
        var box = await message.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.Y >= 0 && box.Y < 844 / 4, $"the opened message starts at y {box.Y} on an 844 px screen");

        // And a screen reader goes on from it.
        await Expect(message).ToBeFocusedAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        session.AssertNoConsoleErrors();
    }

    /// <summary>A host that writes its mail to the pickup folder and serves the development mailbox page, as in Development.</summary>
    public sealed class MailboxHost : BrowserHost
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Email:Smtp:Host"] = "",
        };

        protected override void ConfigureServices(IServiceCollection services) =>
            services.AddSingleton<IHostEnvironment>(sp => new DevelopmentEnvironment(sp.GetRequiredService<IWebHostEnvironment>()));
    }

    /// <summary>The host's environment, named Development: only the page asks for it by this interface.</summary>
    private sealed class DevelopmentEnvironment(IWebHostEnvironment inner) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Development;

        public string ApplicationName { get; set; } = inner.ApplicationName;

        public string ContentRootPath { get; set; } = inner.ContentRootPath;

        public IFileProvider ContentRootFileProvider { get; set; } = inner.ContentRootFileProvider;
    }
}
