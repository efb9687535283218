using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// The real host on a real loopback port, with its own database and its own SMTP server (one per test class).
/// The port is chosen before the host starts so that the links in its emails (<c>Portal:PublicBaseUrl</c>) point
/// at this very host and a test can open them as a person would.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "xunit disposes fixtures through IAsyncLifetime.DisposeAsync.")]
public abstract class BrowserHost : IAsyncLifetime
{
    private SmtpServer? _smtp;
    private PortalFactory? _factory;
    private HttpClient? _http;

    public PortalFactory Factory => _factory ?? throw new InvalidOperationException("The host is not started.");

    public SmtpServer Smtp => _smtp ?? throw new InvalidOperationException("The host is not started.");

    /// <summary>Where the browser and the API calls go, e.g. <c>http://localhost:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>A plain HTTP client on <see cref="BaseAddress"/>, for the public API.</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("The host is not started.");

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Services a test's host adds or replaces.</summary>
    protected virtual void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
    }

    /// <summary>The database the host runs on; a class's PostgreSQL twin overrides it.</summary>
    public virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpServer.StartNewAsync();
        var port = FreeTcpPort();
        BaseAddress = new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/");
        var settings = new Dictionary<string, string?>(Settings, StringComparer.OrdinalIgnoreCase)
        {
            ["Portal:PublicBaseUrl"] = BaseAddress.ToString().TrimEnd('/'),
        };
        _factory = new PortalFactory(_smtp, settings, ConfigureServices, provider: Provider);
        _factory.UseKestrel(port);
        _factory.StartServer();
        _http = new HttpClient { BaseAddress = BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A host with no demo data: each test makes its own organization and users.</summary>
public class PlainBrowserHost : BrowserHost;

/// <summary>A host with no demo data on PostgreSQL.</summary>
public sealed class PostgresPlainBrowserHost : PlainBrowserHost
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// A host seeded with the demo organization and admins exactly as <c>appsettings.Development.json</c> (at the
/// repository's top) describes them, so the sign-in the README promises is the one tested.
/// </summary>
public class DemoBrowserHost : BrowserHost
{
    public const string AdminEmail = "admin@acme.example";

    public const string AdminPassword = "demo-admin-password";

    public static string DemoOrgId => DemoSeed["Seed:Demo:OrgId"]!;

    public static string DemoAppId => DemoSeed["Seed:Demo:AppId"]!;

    private static readonly Lazy<IReadOnlyDictionary<string, string?>> Seed = new(ReadDemoSeed);

    private static IReadOnlyDictionary<string, string?> DemoSeed => Seed.Value;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(DemoSeed, StringComparer.OrdinalIgnoreCase)
    {
        ["Seed:Demo:Enabled"] = "true",
    };

    private static Dictionary<string, string?> ReadDemoSeed()
    {
        var file = Path.Combine(Repository.Root, "appsettings.Development.json");
        var section = new ConfigurationBuilder().AddJsonFile(file).Build().GetSection("Seed:Demo");
        var values = section.AsEnumerable().Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        return values.Count > 0 ? values : throw new InvalidOperationException($"{file} has no Seed:Demo section.");
    }
}
