using System.Diagnostics;
using System.Text.RegularExpressions;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// The benchmark, the project's measure of its speed, as an operator runs it, with small numbers, to the end of its
/// report. Its scale phase once waited forever for its bulk resend's job (the job queue, a hosted service, was never
/// started) and the default command never finished; nothing but a person noticed.
/// </summary>
public sealed class BenchmarkTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_scale_phase_runs_to_its_report_with_the_bulk_resend_done()
    {
        var report = await RunAsync("--http", "0", "--search-users", "2000", "--search-small", "1000", "--search-runs", "1", "--bulk-users", "300");

        Assert.Contains("Finished: 300 sent, 0 throttled, 0 already registered, 0 deactivated, 0 not found", report, StringComparison.Ordinal);
        Assert.Contains("every user got one code and one queued email", report, StringComparison.Ordinal);
        Assert.Contains("Users page, first page", report, StringComparison.Ordinal);
        Assert.Contains("Dashboard", report, StringComparison.Ordinal);
    }

    /// <summary>
    /// The HTTP phases against the Release host on a real port, its mail to aiosmtpd, ending with wrk and the goals'
    /// verdict. The benchmark checks every answer (a wrong one is an error and a non-zero exit), so this is also the
    /// public doors answering right under concurrent load.
    /// </summary>
    [Fact]
    public async Task The_http_phases_run_to_the_goals_verdict_with_every_answer_right()
    {
        var report = await RunAsync(
            "--search-users", "0", "--bulk-users", "0", "--users", "10000", "--others", "200", "--mixed", "200",
            "--sequential", "20", "--clients", "8", "--duration", "1", "--warmup", "1");

        // Each phase answered with no failure.
        foreach (var phase in new[] { "GET /healthz/live (no-op)", "PUT /auth/registration/code (pending)", "Mixed cases (all)" })
        {
            Assert.Matches($@"\| {Regex.Escape(phase)} +\| +[1-9][\d,]* +\| +0 +\|", report);
        }

        // wrk, the goals' own measure, ran against the same two and saw only 2xx answers.
        var wrk = report.IndexOf("| Phase (wrk)", StringComparison.Ordinal);
        Assert.True(wrk >= 0, $"No wrk table in the report:\n{report}");
        foreach (var phase in new[] { "GET /healthz/live (no-op)", "PUT /auth/registration/code (pending)" })
        {
            Assert.Matches($@"\| {Regex.Escape(phase)} +\| +[1-9][\d,]* +\| +0 +\|", report[wrk..]);
        }

        Assert.Contains("socket errors: none / none", report, StringComparison.Ordinal);

        // The one-at-a-time phase measured each public door.
        foreach (var door in new[] { "PUT /auth/registration/code ", "Self-service page, POST ", "POST /auth/registration/init, wrong code" })
        {
            Assert.Matches($@"\| {Regex.Escape(door)} *\|( +[\d.]+ +\|){{5}}", report);
        }

        // The verdict: every goal with its figure; 0 errors and the mail sent within the 10 s it is given are met at this
        // size even on a busy machine (a second's resends, about a thousand mails).
        Assert.Matches(@"\| 0 errors +\| +0 \| yes \|", report);
        Assert.Matches(@"\| Mail: the backlog of the 1 s resend phase gone within 10 s more +\| +gone within [\d.]+ s \| yes \|", report);
        Assert.Matches(@"\| Memory: host RSS under 250 MB at the end +\| +\d+ MB \(\d+ MiB\) \| (yes|no) \|", report);
        Assert.Matches(@"\| SQLite: resend at least 10 % of the no-op \(wrk; the benchmark's own load generator\) +\| +[\d.]+ %; [\d.]+ % \|", report);
    }

    /// <summary>Runs the benchmark's build with <paramref name="args"/>; its report once it exits 0 within the deadline.</summary>
    private static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(BenchmarkAssembly());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The benchmark ({string.Join(' ', args)}) did not end within {Deadline}. It printed:\n{await stdout}\n{await stderr}");
        }

        var report = await stdout;
        Assert.True(process.ExitCode == 0, $"The benchmark ({string.Join(' ', args)}) exited with {process.ExitCode}. It printed:\n{report}\n{await stderr}");
        return report;
    }

    /// <summary>The benchmark's build beside this project's (the same configuration; the project reference builds it first).</summary>
    private static string BenchmarkAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RegistrationPortal.IntegrationTests.csproj")))
            {
                var repository = dir.Parent!.Parent!.FullName;
                var path = Path.Combine(repository, "bench", "RegistrationPortal.Benchmarks", Path.GetRelativePath(dir.FullName, output.FullName), "RegistrationPortal.Benchmarks.dll");
                Assert.True(File.Exists(path), $"The benchmark is not built at {path}.");
                return path;
            }
        }

        throw new InvalidOperationException($"{output.FullName} is not inside the test project.");
    }
}
