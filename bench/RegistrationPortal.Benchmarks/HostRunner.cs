using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;

namespace RegistrationPortal.Benchmarks;

/// <summary>The real host as its own process (<c>dotnet RegistrationPortal.Web.dll</c>), as production runs it.</summary>
internal sealed class HostRunner : IAsyncDisposable
{
    /// <summary>The per-client-address limiter, raised well above any rate the benchmark reaches.</summary>
    public const int PermitLimit = 10_000_000; // the largest Api:RateLimit:PermitLimit the host accepts

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private HostRunner(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>Lines the host wrote (logging is at Warning, so each is a warning or an error).</summary>
    public IReadOnlyCollection<string> Log => _log;

    public static Task<HostRunner> StartAsync(string webDll, string workDir, string dbFile, TimeSpan timeout, int? smtpPort = null) =>
        StartAsync(webDll, workDir, DatabaseProvider.Sqlite, $"Data Source={dbFile}", timeout, smtpPort);

    /// <summary>
    /// A host on the database of <paramref name="provider"/>; its mail goes to the SMTP server on loopback port
    /// <paramref name="smtpPort"/>, or without one to <c>mail</c> under <paramref name="workDir"/>. <paramref name="settings"/>
    /// are configuration values for this host (environment variables, <c>Section__Key</c>).
    /// </summary>
    public static async Task<HostRunner> StartAsync(string webDll, string workDir, DatabaseProvider provider, string connectionString, TimeSpan timeout, int? smtpPort = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(webDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(webDll);
        // Production's code paths, but not its start-up demands (an SMTP server, a public address): mail goes to a folder here.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Benchmark";
        // As the launch profile and a service's unit set them (docs/operations.md); the runtime and glibc read them only from here.
        start.Environment[YoungGenerationBudget.Variable] = YoungGenerationBudget.Recommended;
        start.Environment[NativeMemoryTrim.ArenaVariable] = NativeMemoryTrim.RecommendedArenas;
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        start.Environment["Database__Provider"] = provider.ToString();
        start.Environment["ConnectionStrings__Portal"] = connectionString;
        start.Environment["Email__PickupDirectory"] = Path.Combine(workDir, "mail");
        if (smtpPort is { } port)
        {
            start.Environment["Email__Smtp__Host"] = "127.0.0.1";
            start.Environment["Email__Smtp__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Email__Smtp__Security"] = "None";
        }
        start.Environment["Api__RateLimit__PermitLimit"] = PermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The wrong-code limits per client address, relaxed: every request of the benchmark comes from one address.
        start.Environment["Registration__MaxFailedAttempts"] = "1000000";
        start.Environment["Registration__MaxFailedAttemptsPerAddress"] = "1000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "";
        // After the benchmark's own settings, so a run's settings win.
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the host.");
        var host = new HostRunner(process, baseAddress);
        process.OutputDataReceived += (_, e) => host.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => host.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitHealthyAsync(timeout);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>The host's exit code when it has ended on its own, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>CPU time the host has used so far, user and system (zero once it has exited).</summary>
    public TimeSpan CpuTime => Machine.CpuTime(_process);

    /// <summary>Peak resident set (VmHWM) and current resident set (VmRSS) of the host, in MiB; NaN once it has exited.</summary>
    public (double PeakMiB, double RssMiB) Memory()
    {
        var path = $"/proc/{_process.Id}/status";
        if (_process.HasExited || !File.Exists(path))
        {
            return (double.NaN, double.NaN);
        }

        var status = File.ReadAllLines(path);
        return (Read("VmHWM:"), Read("VmRSS:"));

        double Read(string key) =>
            status.Where(l => l.StartsWith(key, StringComparison.Ordinal))
                .Select(l => long.Parse(l[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0)
                .FirstOrDefault();
    }

    /// <summary>Kills the host (and anything it started). Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Collect(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line) && _log.Count < 10_000)
        {
            _log.Enqueue(line);
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with code {_process.ExitCode} before it was healthy:{Environment.NewLine}{string.Join(Environment.NewLine, _log.TakeLast(30))}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Too slow to answer yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The host was not healthy within {timeout.TotalSeconds:0} s:{Environment.NewLine}{string.Join(Environment.NewLine, _log.TakeLast(30))}");
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
