using System.Diagnostics;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// The benchmark, the project's measure of its speed, as an operator runs it: its scale phase (in process, its own
/// SQLite file) with small numbers, to the end. It once waited forever for its bulk resend's job (the job queue, a
/// hosted service, was never started), and the default command never finished; nothing but a person noticed.
/// </summary>
public sealed class BenchmarkScalePhaseTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_scale_phase_runs_to_its_report_with_the_bulk_resend_done()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { BenchmarkAssembly(), "--http", "0", "--search-users", "2000", "--search-small", "1000", "--search-runs", "1", "--bulk-users", "300" })
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
            Assert.Fail($"The benchmark's scale phase did not end within {Deadline}. It printed:\n{await stdout}\n{await stderr}");
        }

        var report = await stdout;
        Assert.Contains("Finished: 300 sent, 0 throttled, 0 already registered, 0 deactivated, 0 not found", report, StringComparison.Ordinal);
        Assert.Contains("every user got one code and one queued email", report, StringComparison.Ordinal);
        Assert.Contains("Users page, first page", report, StringComparison.Ordinal);
        Assert.Contains("Dashboard", report, StringComparison.Ordinal);
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
