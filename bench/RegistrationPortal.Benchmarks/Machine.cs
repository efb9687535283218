using System.Runtime.InteropServices;

namespace RegistrationPortal.Benchmarks;

/// <summary>What the figures were measured on, and how busy the machine was: a loaded machine's figures are not comparable.</summary>
internal static class Machine
{
    private static readonly string AtStart = LoadAverage();

    public static string Describe() =>
        $"Machine: {Environment.ProcessorCount} cores, {MemoryGiB():0} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}, {RuntimeInformation.FrameworkDescription}; "
        + $"load average (1/5/15 min) {AtStart} at the start, {LoadAverage()} at the end (above {Environment.ProcessorCount} means other work competed for the cores)";

    /// <summary>Read once early, so the start figure is from before the run's own load.</summary>
    public static void Start() => _ = AtStart;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join('/', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);

    /// <summary>The CPU time a process has used so far, user and system; zero once it has exited.</summary>
    public static TimeSpan CpuTime(System.Diagnostics.Process process)
    {
        try
        {
            process.Refresh();
            return process.HasExited ? TimeSpan.Zero : process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return TimeSpan.Zero;
        }
    }
}
