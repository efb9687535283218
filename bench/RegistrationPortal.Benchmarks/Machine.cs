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

    /// <summary>
    /// The CPU time the whole machine has been busy so far (every core, every process: user, system, interrupts), from
    /// <c>/proc/stat</c>; zero where there is none. Less the processes measured on their own, it is what the rest used
    /// (a database server on this machine).
    /// </summary>
    public static TimeSpan BusyTime()
    {
        if (!File.Exists("/proc/stat"))
        {
            return TimeSpan.Zero;
        }

        // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait, in clock ticks (USER_HZ, 100).
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var busy = ticks.Take(8).Sum() - ticks[3] - ticks[4];
        return TimeSpan.FromMilliseconds(busy * 10);
    }

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
