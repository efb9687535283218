using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// Counts the methods a host's JIT compiles, every tier, through the runtime's own events (EventPipe, as
/// <see cref="GcWatch"/> reads the collector's). A new host recompiles thousands of its hot methods in the background
/// for its first seconds under load, on the same cores as the requests: a phase measured then measures that too.
/// </summary>
internal sealed class JitWatch
{
    private readonly EventPipeSession _session;
    private readonly Task _reading;
    private long _compiled;

    private JitWatch(EventPipeSession session)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        source.Clr.MethodJittingStarted += _ => Interlocked.Increment(ref _compiled);
        _reading = Task.Run(() =>
        {
            using (source)
            {
                source.Process();
            }
        });
    }

    /// <summary>Methods compiled since the watch started.</summary>
    public long Compiled => Interlocked.Read(ref _compiled);

    /// <summary>Starts watching; null when the host does not take the session (diagnostics turned off, or it is gone).</summary>
    public static JitWatch? Start(int processId)
    {
        var provider = new EventPipeProvider(ClrTraceEventParser.ProviderName, System.Diagnostics.Tracing.EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.Jit);
        try
        {
            return new JitWatch(new DiagnosticsClient(processId).StartEventPipeSession(provider, requestRundown: false));
        }
        catch (DiagnosticsClientException)
        {
            return null;
        }
    }

    public async Task StopAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (DiagnosticsClientException)
        {
            // The host is gone, and the session with it.
        }

        await _reading;
        _session.Dispose();
    }
}
