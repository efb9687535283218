using System.Runtime.InteropServices;

namespace RegistrationPortal.Web.Features.Operations;

/// <summary>
/// Gives the memory the C heap has freed back to the system, every <see cref="Interval"/>, on Linux with glibc.
/// SQLite, the TLS and compression libraries and the runtime itself allocate with <c>malloc</c>; glibc keeps what a
/// burst of requests freed in its per-thread arenas (up to eight per core) instead of returning it, so the host's
/// resident memory stays at its peak long after the burst. <c>malloc_trim(0)</c> hands those free pages back and
/// changes nothing the process sees; once every 10 s it left the benchmark's CPU per resend where it was. Elsewhere (Windows, macOS, musl) it does
/// nothing. Fewer arenas (<see cref="ArenaVariable"/>=<see cref="RecommendedArenas"/> in the service's environment,
/// which glibc reads before the host starts) leave less to trim and less scattered between blocks still in use: with
/// both, the benchmark's host ended 6-7 MiB smaller than with the trim alone (docs/benchmarks.md). At start it also
/// says when the managed heap's young generation is sized to grow large (<see cref="YoungGenerationBudget"/>).
/// </summary>
internal sealed class NativeMemoryTrim(ILogger<NativeMemoryTrim> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>The environment variable glibc reads its arena limit from.</summary>
    public const string ArenaVariable = "MALLOC_ARENA_MAX";

    /// <summary>Two arenas, as docs/operations.md sets for a service and the launch profile for <c>dotnet run</c>.</summary>
    public const string RecommendedArenas = "2";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (YoungGenerationBudget.Advice(YoungGenerationBudget.Current()) is { } advice)
        {
            logger.LogInformation("{Advice}", advice);
        }

        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!TryTrim())
                {
                    logger.LogDebug("This C library cannot trim its heap; the host's native memory is not trimmed");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Trims once; false when this C library has no <c>malloc_trim</c> (musl), so there is nothing to do.</summary>
    internal static bool TryTrim()
    {
        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
