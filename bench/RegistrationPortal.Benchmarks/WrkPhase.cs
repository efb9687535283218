using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// The measure the goals were set with, beside the benchmark's own: wrk (Debian's package; one thread, the run's clients
/// as connections, the run's duration), first against the no-op, then resending to distinct pending users not used
/// before. wrk is written in C and costs the two cores far less a request than this process's HttpClient, which shares
/// them with the host: the no-op it reaches is the host's real ceiling, and the share against it is the issue's figure.
/// Its latencies come from a closed loop and do not account for waiting (the open-loop phase does). Skipped, and said
/// so, when wrk is not installed.
/// </summary>
internal static partial class WrkPhase
{
    public const string Executable = "/usr/bin/wrk";

    public sealed record Result(string Name, long Requests, double PerSecond, double P50Ms, double P99Ms, long NotOk, string SocketErrors);

    public static bool Available => File.Exists(Executable);

    public static Task<Result> NoOpAsync(Uri baseAddress, string path, int clients, TimeSpan duration, CancellationToken ct) =>
        RunAsync($"GET {path} (no-op)", baseAddress, path, script: null, clients, duration, ct);

    /// <summary>PUTs <paramref name="path"/> for pending-<paramref name="firstUser"/>@bench.example and on, one user a request.</summary>
    public static Task<Result> ResendAsync(Uri baseAddress, string path, string orgId, long firstUser, int clients, TimeSpan duration, CancellationToken ct)
    {
        var script = $$"""
            local i = {{firstUser - 1}}
            wrk.method = "PUT"
            wrk.headers["Content-Type"] = "application/json"
            request = function()
              i = i + 1
              return wrk.format(nil, "{{path}}", nil, '{"username":"pending-' .. i .. '@bench.example","orgId":"{{orgId}}"}')
            end
            """;
        return RunAsync($"PUT {path} (pending)", baseAddress, path, script, clients, duration, ct);
    }

    private static async Task<Result> RunAsync(string name, Uri baseAddress, string path, string? script, int clients, TimeSpan duration, CancellationToken ct)
    {
        var scriptFile = script is null ? null : Path.Combine(Path.GetTempPath(), $"regportal-wrk-{Guid.NewGuid():N}.lua");
        try
        {
            var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-t1", $"-c{clients}", $"-d{(int)Math.Ceiling(duration.TotalSeconds)}s", "--latency" })
            {
                start.ArgumentList.Add(argument);
            }

            if (scriptFile is not null)
            {
                await File.WriteAllTextAsync(scriptFile, script, ct);
                start.ArgumentList.Add("-s");
                start.ArgumentList.Add(scriptFile);
            }

            start.ArgumentList.Add(new Uri(baseAddress, path).ToString());
            using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var text = await output;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"wrk exited with {process.ExitCode}: {await errors}");
            }

            return new Result(
                name,
                long.Parse(RequestCount().Match(text).Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(PerSecond().Match(text).Groups[1].Value, CultureInfo.InvariantCulture),
                Percentile(text, "50%"),
                Percentile(text, "99%"),
                NotOk().Match(text) is { Success: true } notOk ? long.Parse(notOk.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                SocketErrors().Match(text) is { Success: true } socket ? socket.Groups[1].Value.Trim() : "none");
        }
        finally
        {
            if (scriptFile is not null)
            {
                File.Delete(scriptFile);
            }
        }
    }

    /// <summary>A line of wrk's latency distribution ("99%   2.30ms"), in milliseconds.</summary>
    private static double Percentile(string text, string label)
    {
        var match = Regex.Match(text, $@"^\s*{Regex.Escape(label)}\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "s" => value * 1000,
            _ => value,
        };
    }

    [GeneratedRegex(@"^\s*(\d+) requests in", RegexOptions.Multiline)]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"^Requests/sec:\s+([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex PerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NotOk();

    [GeneratedRegex(@"Socket errors:([^\n]*)")]
    private static partial Regex SocketErrors();
}
