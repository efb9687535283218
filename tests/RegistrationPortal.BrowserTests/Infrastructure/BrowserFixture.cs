using System.Diagnostics.CodeAnalysis;
using Microsoft.Playwright;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// One Playwright driver and one Chromium for the whole run (each test gets its own browser context, which is
/// cheap). The browser is Debian's, its headless shell (package chromium-headless-shell: the same engine without the
/// desktop browser around it, which made the suite half as long again): Playwright is never asked to download one.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/lib/chromium/chromium-headless-shell";

    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium-headless-shell package (scripts/test.sh does).");
        }

        // Playwright's 5 s default is short for a Blazor circuit on a busy two-core machine; the integration tests'
        // Wait helper allows the same.
        Assertions.SetDefaultExpectTimeout((float)Wait.DefaultTimeout.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumFlags,
        });
    }

    /// <summary>A fresh context (own cookies, light theme unless <paramref name="dark"/>, English unless <paramref name="locale"/>) and page on
    /// <paramref name="baseAddress"/>; <paramref name="phone"/> adds a touch screen and the mobile viewport rules;
    /// <paramref name="timeZone"/> is the browser's (an IANA id).</summary>
    public async Task<BrowserSession> OpenAsync(Uri baseAddress, int width = 1280, int height = 800, bool phone = false, bool dark = false, string locale = "en-US", string timeZone = "UTC")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
            Locale = locale,
            TimezoneId = timeZone,
            IsMobile = phone,
            HasTouch = phone,
        });
        return new BrowserSession(context, await context.NewPageAsync());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>Every browser test class shares the one browser; the classes run one after another.</summary>
[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711", Justification = "xunit's naming.")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>A browser context with one page that records what the page writes to the console as errors.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    internal BrowserSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console error: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Record($"uncaught exception: {error}");
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public void AssertNoConsoleErrors() =>
        Assert.True(ConsoleErrors.Count == 0, "The page reported errors:" + Environment.NewLine + string.Join(Environment.NewLine, ConsoleErrors));

    public async ValueTask DisposeAsync() => await Context.CloseAsync();

    private void Record(string line)
    {
        lock (_errors)
        {
            _errors.Add(line);
        }
    }
}
