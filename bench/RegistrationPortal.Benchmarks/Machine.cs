using System.Runtime.InteropServices;

namespace RegistrationPortal.Benchmarks;

/// <summary>What the figures were measured on, and how busy the machine was: a loaded machine's figures are not comparable.</summary>
internal static class Machine
{
    private static readonly string AtStart = LoadAverage();

    private static readonly long[] TicksAtStart = Mark();

    public static string Describe() =>
        $"Machine: {Environment.ProcessorCount} cores, {MemoryGiB():0} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}, {RuntimeInformation.FrameworkDescription}; "
        + $"load average (1/5/15 min) {AtStart} at the start, {LoadAverage()} at the end (above {Environment.ProcessorCount} means other work competed for the cores); "
        + StolenSinceStart();

    /// <summary>Read once early, so the start figures are from before the run's own load.</summary>
    public static void Start() => _ = (AtStart, TicksAtStart);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join('/', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>
    /// The share of the cores' time the hypervisor gave to other machines during the run (<c>steal</c>): on a virtual
    /// machine whose host is busy, every figure of the run is slowed by it, and the run's CPU times do not count it.
    /// </summary>
    private static string StolenSinceStart() => StolenSince(TicksAtStart) is { } share
        ? $"the hypervisor took {share:P1} of the cores' time during the run (steal; above a few per cent the figures are slowed)"
        : "time stolen by the hypervisor unknown";

    /// <summary>The machine's counters now, for <see cref="StolenSince"/>.</summary>
    public static long[] Mark() => Ticks();

    /// <summary>The share of the cores' time since <paramref name="mark"/> the hypervisor gave to other machines; null where it is not known.</summary>
    public static double? StolenSince(long[] mark) => StolenBetween(mark, Mark());

    /// <summary>The share of the cores' time between two marks the hypervisor gave to other machines; null where it is not known.</summary>
    public static double? StolenBetween(long[] from, long[] to)
    {
        var total = from.Length < 8 || to.Length < 8 ? 0 : to.Sum() - from.Sum();
        return total <= 0 ? null : (double)(to[7] - from[7]) / total;
    }

    private static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);

    /// <summary>
    /// The CPU time the whole machine has been busy so far (every core, every process: user, system, interrupts), from
    /// <c>/proc/stat</c>; zero where there is none. Less the processes measured on their own, it is what the rest used
    /// (a database server on this machine).
    /// </summary>
    public static TimeSpan BusyTime()
    {
        // user nice system idle iowait irq softirq steal: busy is user, nice, system, irq and softirq. Steal is time the
        // machine did not get, not time anything on it used.
        var ticks = Ticks();
        return ticks.Length < 8 ? TimeSpan.Zero : TimeSpan.FromMilliseconds((ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) * 10);
    }

    /// <summary>The whole machine's first eight <c>/proc/stat</c> counters, in clock ticks (USER_HZ, 100 a second); empty where there are none.</summary>
    private static long[] Ticks() =>
        File.Exists("/proc/stat")
            ? File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray()
            : [];

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
