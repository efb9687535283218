using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>The web host started as an operator starts it, with one setting wrong: it stops with one line naming the key.</summary>
public sealed partial class StartupConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-config-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("Email:Smtp:Port", "Email__Smtp__Port", "70000")]
    [InlineData("Email:Smtp:Timeout", "Email__Smtp__Timeout", "01:00:00")]
    [InlineData("Email:Smtp:Security", "Email__Smtp__Security", "Sometimes")]
    [InlineData("Api:RateLimit:PermitLimit", "Api__RateLimit__PermitLimit", "0")]
    [InlineData("Api:RateLimit:Window", "Api__RateLimit__Window", "a minute")]
    [InlineData("Registration:CodeLifetime", "Registration__CodeLifetime", "00:00:10")]
    [InlineData("Registration:CodeHashKey", "Registration__CodeHashKey", "c2hvcnQ=")]
    [InlineData("Email:From", "Email__From", "not an address")]
    [InlineData("Portal:PublicBaseUrl", "Portal__PublicBaseUrl", "")]
    [InlineData("Database:Synchronous", "Database__Synchronous", "OFF")]
    [InlineData("ConnectionStrings:Portal", "ConnectionStrings__Portal", "Colour=blue")]
    [InlineData("Telemetry:OtlpEndpoint", "Telemetry__OtlpEndpoint", "not a url")]
    [InlineData("Retention:AuditEvents", "Retention__AuditEvents", "00:00:01")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "ForwardedHeaders__KnownNetworks__0", "10.0.0.0/99")]
    [InlineData("Identity:LockoutDuration", "Identity__LockoutDuration", "forever")]
    [InlineData("Identity:SignInPermitLimit", "Identity__SignInPermitLimit", "0")]
    [InlineData("Identity:SignInWindow", "Identity__SignInWindow", "00:00:00")]
    public async Task A_wrong_setting_stops_the_host_with_one_line_naming_the_key(string key, string variable, string value)
    {
        var result = await RunHostAsync(new Dictionary<string, string> { [variable] = value });

        AssertStoppedNaming(result, key);
    }

    [Fact]
    public async Task A_port_already_taken_stops_the_host_with_one_line_on_standard_error()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await PortalProcess.RunAsync(
            _directory,
            new Dictionary<string, string> { ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}" },
            "--urls",
            $"http://127.0.0.1:{port}");

        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        Assert.Equal([$"The host could not start: Failed to bind to address http://127.0.0.1:{port}: address already in use."], result.StderrLines);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public async Task A_wrong_number_of_writers_on_postgres_stops_the_host_naming_the_key(string value)
    {
        // A well-formed connection string is enough: the settings are checked before any connection is made.
        var result = await RunHostAsync(new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Portal"] = "Host=127.0.0.1;Port=1;Database=portal;Username=portal",
            ["Database__Writers"] = value,
        });

        AssertStoppedNaming(result, "Database:Writers");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("short-token")]
    public async Task Metrics_turned_on_without_a_scrape_token_stop_the_host_naming_the_key(string? token)
    {
        var settings = new Dictionary<string, string> { ["Telemetry__Prometheus"] = "true" };
        if (token is not null)
        {
            settings["Telemetry__MetricsToken"] = token;
        }

        AssertStoppedNaming(await RunHostAsync(settings), "Telemetry:MetricsToken");
    }

    [Fact]
    public async Task Production_refuses_the_enabled_demo_seed()
    {
        var settings = ProductionSettings();
        settings["Seed__Demo__Enabled"] = "true";

        AssertStoppedNaming(await RunHostAsync(settings), "Seed:Demo:Enabled");
    }

    [Fact]
    public async Task Production_refuses_a_demo_password_even_with_the_seed_off()
    {
        var settings = ProductionSettings();
        settings["Seed__Demo__AdminPassword"] = "demo-admin-password";

        AssertStoppedNaming(await RunHostAsync(settings), "Seed:Demo:AdminPassword");
    }

    [Fact]
    public async Task Production_refuses_a_demo_password_given_as_the_smtp_password()
    {
        var settings = ProductionSettings();
        settings["Email__Smtp__Password"] = "demo-platform-password";

        AssertStoppedNaming(await RunHostAsync(settings), "Email:Smtp:Password");
    }

    [Fact]
    public async Task Production_without_an_smtp_server_is_a_missing_setting()
    {
        var settings = ProductionSettings();
        settings.Remove("Email__Smtp__Host");

        AssertStoppedNaming(await RunHostAsync(settings), "Email:Smtp:Host");
    }

    [Fact]
    public async Task Production_without_a_key_encryption_certificate_is_a_missing_setting()
    {
        var settings = ProductionSettings();
        settings.Remove("DataProtection__KeyEncryption__CertificatePath");

        AssertStoppedNaming(await RunHostAsync(settings), "DataProtection:KeyEncryption:CertificatePath");
    }

    [Theory]
    [InlineData("missing.pfx", "a-password")]
    [InlineData("key-encryption.pfx", "the wrong password")]
    public async Task Production_with_an_unreadable_key_encryption_certificate_stops_naming_the_key(string file, string password)
    {
        var settings = ProductionSettings();
        settings["DataProtection__KeyEncryption__CertificatePath"] = Path.Combine(_directory, file);
        settings["DataProtection__KeyEncryption__CertificatePassword"] = password;

        AssertStoppedNaming(await RunHostAsync(settings), "DataProtection:KeyEncryption:CertificatePath");
    }

    [Fact]
    public async Task A_key_encryption_certificate_that_does_not_open_the_databases_keys_stops_the_host_and_the_verbs_naming_the_key()
    {
        var database = new Dictionary<string, string> { ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}" };
        var made = await PortalProcess.RunAsync(_directory, new Dictionary<string, string>(database)
        {
            ["DataProtection__KeyEncryption__CertificatePath"] = Path.Combine(_directory, "first.pfx"),
        }, "org", "create", "--name", "Keys made with the first certificate");
        Assert.True(made.ExitCode == 0, made.Stderr);

        var another = new Dictionary<string, string>(database) { ["DataProtection__KeyEncryption__CertificatePath"] = Path.Combine(_directory, "second.pfx") };
        AssertStoppedNaming(await PortalProcess.RunAsync(_directory, another, "org", "create", "--name", "Another certificate"), "DataProtection:KeyEncryption:CertificatePath");
        another["Logging__LogLevel__Default"] = "Warning";
        AssertStoppedNaming(await RunHostAsync(another), "DataProtection:KeyEncryption:CertificatePath");
    }

    [Fact]
    public async Task Production_with_its_own_settings_starts_and_serves()
    {
        await using var host = PortalProcess.Start(_directory, ProductionSettings(), "--urls", "http://127.0.0.1:0");
        Uri? address = null;
        await Wait.WaitUntilAsync(
            () =>
            {
                Assert.False(host.HasExited, $"The host stopped: {host.Stderr}{host.Stdout}");
                var match = ListeningOn().Match(host.Stdout);
                address = match.Success ? new Uri(match.Groups[1].Value) : null;
                return Task.FromResult(address is not null);
            },
            TimeSpan.FromSeconds(90),
            "the host says where it listens");

        using var client = new HttpClient { BaseAddress = address };
        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Configuration error", host.Stderr, StringComparison.Ordinal);

        // The Data Protection keys it made are encrypted: no "No XML encryptor configured" warning.
        Assert.DoesNotContain("XML encryptor", host.Stdout + host.Stderr, StringComparison.Ordinal);
    }

    private Dictionary<string, string> ProductionSettings() => new()
    {
        ["DataProtection__KeyEncryption__CertificatePath"] = KeyEncryptionCertificate(),
        ["DataProtection__KeyEncryption__CertificatePassword"] = CertificatePassword,
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
        ["Portal__PublicBaseUrl"] = "https://portal.example.com",
        ["Email__Smtp__Host"] = "127.0.0.1",
        ["Email__Smtp__Port"] = "2525",
        ["Email__DispatcherEnabled"] = "false",
        ["Logging__LogLevel__Default"] = "Information",
    };

    private const string CertificatePassword = "certificate password";

    /// <summary>A PFX as an operator would supply it: RSA, with its private key, under a password.</summary>
    private string KeyEncryptionCertificate()
    {
        var path = Path.Combine(_directory, "key-encryption.pfx");
        if (!File.Exists(path))
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=portal key encryption", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            File.WriteAllBytes(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, CertificatePassword));
        }

        return path;
    }

    private Task<ProcessResult> RunHostAsync(Dictionary<string, string> settings)
    {
        settings.TryAdd("ConnectionStrings__Portal", $"Data Source={Path.Combine(_directory, "portal.db")}");
        return PortalProcess.RunAsync(_directory, settings, "--urls", "http://127.0.0.1:0");
    }

    private static void AssertStoppedNaming(ProcessResult result, string key)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}; stderr: {result.Stderr}; stdout: {result.Stdout}");
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"Configuration error: {key}: ", line, StringComparison.Ordinal);
        Assert.Empty(result.StdoutLines);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
