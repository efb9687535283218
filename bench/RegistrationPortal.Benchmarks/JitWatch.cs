using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// Counts the methods a host's JIT compiles, every tier, through the runtime's own events (as <see cref="GcWatch"/> reads
/// the collector's). A new host recompiles thousands of its hot methods in the background for its first seconds under
/// load, on the same cores as the requests: a phase measured then measures that too.
/// </summary>
internal sealed class JitWatch
{
    private RuntimeEventSession? _session;
    private long _compiled;

    /// <summary>Methods compiled since the watch started.</summary>
    public long Compiled => Interlocked.Read(ref _compiled);

    /// <summary>Starts watching; null when the host does not take the session.</summary>
    public static JitWatch? Start(int processId)
    {
        var watch = new JitWatch();
        watch._session = RuntimeEventSession.Start(processId, EventLevel.Verbose, ClrTraceEventParser.Keywords.Jit, clr =>
            clr.MethodJittingStarted += _ => Interlocked.Increment(ref watch._compiled));
        return watch._session is null ? null : watch;
    }

    public Task StopAsync() => _session!.StopAsync();
}
