using System.Globalization;

namespace RegistrationPortal.Web.Features.Operations;

/// <summary>
/// How much the garbage collector lets the host allocate between two collections of its youngest generation. The runtime
/// sizes it from the processor's largest cache, and a virtual machine may report a cache of hundreds of megabytes (the
/// benchmark's 2-core machine reports 260 MiB): the budget is then 80 MiB, and under load the host's resident memory
/// grows by about that much with no more live data (309 MiB at the end of the benchmark, against 232 MiB at 16 MiB,
/// which also answered more resends; see docs/benchmarks.md). The runtime reads the setting only from the process's
/// environment (<see cref="Variable"/>, a hexadecimal byte count), before the host starts: the launch profile sets it for
/// <c>dotnet run</c>, a service sets it in its unit or container (docs/operations.md), and the host says at start when it
/// runs without it on such a machine.
/// </summary>
public static class YoungGenerationBudget
{
    /// <summary>The environment variable the runtime reads the young generation's budget from.</summary>
    public const string Variable = "DOTNET_GCgen0size";

    /// <summary>16 MiB, hexadecimal as the runtime reads it.</summary>
    public const string Recommended = "0x1000000";

    /// <summary>A budget above this is worth bringing down.</summary>
    public const long AdviseAboveBytes = 32L << 20;

    /// <summary>The budget this process runs with, in bytes; 0 when the runtime does not say.</summary>
    public static long Current() =>
        GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var value) && value is not null
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : 0;

    /// <summary>What to tell the operator about a budget of <paramref name="bytes"/>: null when it needs nothing.</summary>
    public static string? Advice(long bytes) => bytes <= AdviseAboveBytes
        ? null
        : $"The garbage collector lets {bytes >> 20} MiB be allocated between collections of its youngest generation "
          + "(sized from the processor's cache); the host's memory grows by about that much under load. "
          + $"Set {Variable}={Recommended} in the service's environment to bring it down to 16 MiB (docs/operations.md).";
}
