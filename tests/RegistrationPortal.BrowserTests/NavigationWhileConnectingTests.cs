using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RegistrationPortal.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests;

/// <summary>
/// A link clicked while a freshly loaded page is still connecting its circuit, as an admin who clicks at once does: the
/// page it leads to must show. The circuit's opening is held back on the server until the click is made, so the click
/// always falls in that moment (on a warm host it is a few milliseconds long; on a newly started one, seconds).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class NavigationWhileConnectingTests(BrowserFixture browser, NavigationWhileConnectingTests.SlowCircuitHost host) : IClassFixture<NavigationWhileConnectingTests.SlowCircuitHost>
{
    /// <summary>How often the dashboard's card is clicked the moment it appears: a race, so many times.</summary>
    private const int Rounds = 20;

    [Fact]
    public async Task A_navigation_link_clicked_right_after_signing_in_shows_its_page_every_time()
    {
        (string Link, string Heading, Regex Url)[] targets =
        [
            ("Users", "Users", UsersUrl()),
            ("Applications", "Applications", ApplicationsUrl()),
            ("Audit", "Audit", AuditUrl()),
        ];
        // The held circuit puts every click in the same moment, so each link twice is enough.
        for (var round = 0; round < 2 * targets.Length; round++)
        {
            var (link, heading, url) = targets[round % targets.Length];
            await ClickWhileConnectingAsync(page => page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }), heading, url);
        }
    }

    /// <summary>
    /// The dashboard's cards are read once its circuit runs, so they cannot be clicked while it connects: each is
    /// clicked the moment it appears, on a fresh browser every time.
    /// </summary>
    [Fact]
    public async Task A_dashboard_card_link_clicked_the_moment_it_appears_shows_its_page_every_time()
    {
        for (var round = 0; round < Rounds; round++)
        {
            await ClickWhileConnectingAsync(page => page.GetByRole(AriaRole.Link, new() { Name = "Pending users", Exact = true }), "Users", UsersUrl(), holdCircuit: false);
        }
    }

    /// <summary>
    /// Signs in on a fresh browser and clicks <paramref name="link"/> on the dashboard, while its circuit is held at its
    /// opening when <paramref name="holdCircuit"/>.
    /// </summary>
    private async Task ClickWhileConnectingAsync(Func<IPage, ILocator> link, string heading, Regex url, bool holdCircuit = true)
    {
        await using var session = await browser.OpenAsync(host.BaseAddress);
        var page = session.Page;
        using (holdCircuit ? host.Gate.Hold() : null)
        {
            await page.GotoAsync("Account/Login");
            await page.GetByLabel("Email", new() { Exact = true }).FillAsync(DemoBrowserHost.AdminEmail);
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(DemoBrowserHost.AdminPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Exact = true, Level = 1 })).ToBeVisibleAsync();
            if (holdCircuit)
            {
                await host.Gate.WaitUntilHeldAsync();
            }

            await link(page).ClickAsync();
        }

        await Expect(page).ToHaveURLAsync(url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true, Level = 1 })).ToBeVisibleAsync();
    }

    [GeneratedRegex("/users$")]
    private static partial Regex UsersUrl();

    [GeneratedRegex("/applications$")]
    private static partial Regex ApplicationsUrl();

    [GeneratedRegex("/audit$")]
    private static partial Regex AuditUrl();

    /// <summary>The demo host, whose circuits wait at their opening while <see cref="Gate"/> is held.</summary>
    public sealed class SlowCircuitHost : DemoBrowserHost
    {
        public CircuitGate Gate { get; } = new();

        protected override void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(services, Gate);
    }

    /// <summary>Holds each circuit that opens while held at its opening, until released.</summary>
    public sealed class CircuitGate : Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler
    {
        private TaskCompletionSource _release = Released();
        private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable Hold()
        {
            _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return new Releaser(_release);
        }

        /// <summary>Completes once a circuit is waiting at the gate (with a deadline: a page that never connects fails the test).</summary>
        public Task WaitUntilHeldAsync() => _reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public override async Task OnCircuitOpenedAsync(Microsoft.AspNetCore.Components.Server.Circuits.Circuit circuit, CancellationToken cancellationToken)
        {
            var release = _release;
            _reached.TrySetResult();
            await release.Task.WaitAsync(cancellationToken);
        }

        private static TaskCompletionSource Released()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }

        private sealed class Releaser(TaskCompletionSource release) : IDisposable
        {
            public void Dispose() => release.TrySetResult();
        }
    }
}
