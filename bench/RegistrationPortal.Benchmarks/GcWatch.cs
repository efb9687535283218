using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace RegistrationPortal.Benchmarks;

/// <summary>The host's garbage collections over a phase: how many of each generation, and how long they held every thread.</summary>
internal sealed record GcFigures(int Gen0, int Gen1, int Gen2, TimeSpan Paused, TimeSpan Longest)
{
    public string Describe(TimeSpan phase) =>
        $"{Gen0:N0} / {Gen1:N0} / {Gen2:N0}; paused {Paused.TotalMilliseconds:N0} ms ({Paused / phase:P1}), longest {Longest.TotalMilliseconds:0.0} ms";
}

/// <summary>
/// Watches the host's garbage collector through the runtime's own events (EventPipe, the way <c>dotnet-trace</c> reads
/// them; only the collector's events, a few a second): each collection's generation, and each pause from the moment the
/// runtime starts stopping the threads to the moment it lets them go again. A pause is what every request in flight waits
/// out, so it shows up in the tail.
/// </summary>
internal sealed class GcWatch
{
    private readonly Lock _gate = new();
    private readonly int[] _collections = new int[3];
    private RuntimeEventSession? _session;
    private double? _suspendedAt;
    private TimeSpan _paused;
    private TimeSpan _longest;

    /// <summary>Starts watching; null when the host does not take the session (diagnostics turned off, or it is gone).</summary>
    public static GcWatch? Start(int processId)
    {
        var watch = new GcWatch();
        watch._session = RuntimeEventSession.Start(processId, EventLevel.Informational, ClrTraceEventParser.Keywords.GC, clr =>
        {
            clr.GCStart += watch.OnStart;
            clr.GCSuspendEEStart += e => watch.Suspended(e.TimeStampRelativeMSec);
            clr.GCRestartEEStop += e => watch.Resumed(e.TimeStampRelativeMSec);
        });
        return watch._session is null ? null : watch;
    }

    /// <summary>Ends the session and returns the figures once every event written before the end was read.</summary>
    public async Task<GcFigures> StopAsync()
    {
        await _session!.StopAsync();
        lock (_gate)
        {
            return new GcFigures(_collections[0], _collections[1], _collections[2], _paused, _longest);
        }
    }

    private void OnStart(GCStartTraceData e)
    {
        lock (_gate)
        {
            _collections[Math.Clamp(e.Depth, 0, 2)]++;
        }
    }

    private void Suspended(double at)
    {
        lock (_gate)
        {
            _suspendedAt = at;
        }
    }

    private void Resumed(double at)
    {
        lock (_gate)
        {
            if (_suspendedAt is { } start)
            {
                var pause = TimeSpan.FromMilliseconds(at - start);
                _paused += pause;
                _longest = pause > _longest ? pause : _longest;
                _suspendedAt = null;
            }
        }
    }
}
