using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// A session on a host's runtime events (EventPipe, the way <c>dotnet-trace</c> reads them), read in the background by
/// the handlers given at its start.
/// </summary>
internal sealed class RuntimeEventSession
{
    private readonly EventPipeSession _session;
    private readonly Task _reading;

    private RuntimeEventSession(EventPipeSession session, Action<ClrTraceEventParser> subscribe)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        subscribe(source.Clr);
        _reading = Task.Run(() =>
        {
            using (source)
            {
                source.Process();
            }
        });
    }

    /// <summary>Starts reading the runtime's events of <paramref name="keywords"/>; null when the host does not take the session (diagnostics turned off, or it is gone).</summary>
    public static RuntimeEventSession? Start(int processId, EventLevel level, ClrTraceEventParser.Keywords keywords, Action<ClrTraceEventParser> subscribe)
    {
        var provider = new EventPipeProvider(ClrTraceEventParser.ProviderName, level, (long)keywords);
        try
        {
            return new RuntimeEventSession(new DiagnosticsClient(processId).StartEventPipeSession(provider, requestRundown: false), subscribe);
        }
        catch (DiagnosticsClientException)
        {
            return null;
        }
    }

    /// <summary>Ends the session once every event written before the end was read.</summary>
    public async Task StopAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (DiagnosticsClientException)
        {
            // The host is gone, and the session with it: what was read stands.
        }

        await _reading;
        _session.Dispose();
    }
}
