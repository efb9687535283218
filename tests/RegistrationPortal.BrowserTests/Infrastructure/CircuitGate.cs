using System.Text.RegularExpressions;
using MessagePack;
using Microsoft.Playwright;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// A server slow to call the page's JavaScript, on demand: sits in the page's Blazor WebSocket and holds the server's
/// calls to the given functions while armed; everything else goes through. So a test can do what a person does
/// while such a call is on its way (type, open a dialog) and then let it land, without depending on how busy the
/// machine is.
/// </summary>
/// <remarks>
/// A busy server sends several hub messages in one WebSocket frame (a render batch and the call after it), so the gate
/// works on messages, not frames: it holds only the call, and the page gets the rest at once and in order (holding a
/// render batch would make the page drop every later one).
/// </remarks>
public sealed partial class CircuitGate
{
    private const string Call = "JS.BeginInvokeJS";
    private const string Answer = "EndInvokeJSFromDotNet";

    private readonly Lock _lock = new();
    private readonly string[] _functions;
    private readonly List<(IWebSocketRoute Page, byte[] Message, long Handle)> _held = [];
    private readonly HashSet<long> _awaited = [];
    private TaskCompletionSource _holding = NewSignal();
    private TaskCompletionSource? _answered;
    private bool _armed = true;

    private CircuitGate(string[] functions) => _functions = functions;

    /// <summary>Puts an armed gate on <paramref name="page"/>'s circuits, before the page opens one.</summary>
    public static async Task<CircuitGate> InstallAsync(IPage page, params string[] functions)
    {
        var gate = new CircuitGate(functions);
        await page.RouteWebSocketAsync(BlazorHub(), socket =>
        {
            var server = socket.ConnectToServer();
            server.OnMessage(frame => gate.FromServer(socket, frame));
            socket.OnMessage(frame => gate.FromPage(server, frame));
        });
        return gate;
    }

    /// <summary>Completes once the gate holds a call.</summary>
    public Task Holding
    {
        get
        {
            lock (_lock)
            {
                return _holding.Task;
            }
        }
    }

    /// <summary>Holds the next calls again.</summary>
    public void Arm()
    {
        lock (_lock)
        {
            _armed = true;
            _holding = NewSignal();
        }
    }

    /// <summary>
    /// Lets the held calls through and holds no more until armed again; completes once the page has answered every
    /// one of them, that is, has run them.
    /// </summary>
    public Task ReleaseAsync()
    {
        lock (_lock)
        {
            _armed = false;
            _answered = NewSignal();
            foreach (var (page, message, handle) in _held)
            {
                _awaited.Add(handle);
                page.Send(message);
            }

            _held.Clear();
            var answered = _answered;
            if (_awaited.Count == 0)
            {
                answered.TrySetResult();
            }

            return answered.Task;
        }
    }

    private void FromServer(IWebSocketRoute page, IWebSocketFrame frame)
    {
        if (frame.Binary is not { } binary)
        {
            page.Send(frame.Text ?? "");
            return;
        }

        var passed = new List<byte[]>();
        lock (_lock)
        {
            foreach (var (message, body) in Messages(binary))
            {
                if (_armed && Invocation.Read(message.AsMemory(body)) is { Target: Call } call && _functions.Contains(call.Function))
                {
                    _held.Add((page, message, call.Handle));
                    _holding.TrySetResult();
                }
                else
                {
                    passed.Add(message);
                }
            }
        }

        if (passed.Count > 0)
        {
            page.Send(passed.SelectMany(message => message).ToArray());
        }
    }

    private void FromPage(IWebSocketRoute server, IWebSocketFrame frame)
    {
        if (frame.Binary is not { } binary)
        {
            server.Send(frame.Text ?? "");
            return;
        }

        server.Send(binary);
        lock (_lock)
        {
            if (_answered is not { } answered)
            {
                return;
            }

            foreach (var (message, body) in Messages(binary))
            {
                if (Invocation.Read(message.AsMemory(body)) is { Target: Answer } reply)
                {
                    _awaited.Remove(reply.Handle);
                }
            }

            if (_awaited.Count == 0)
            {
                answered.TrySetResult();
                _answered = null;
            }
        }
    }

    /// <summary>
    /// The hub messages in a frame, each with its length prefix (a base-128 varint) and where its body starts after it;
    /// the handshake's answer (JSON ending in a record separator, no body) first if the frame starts with it; what does
    /// not parse, whole.
    /// </summary>
    private static IEnumerable<(byte[] Message, int Body)> Messages(byte[] frame)
    {
        var at = 0;
        if (frame.Length > 0 && frame[0] == (byte)'{' && Array.IndexOf(frame, (byte)0x1e) is var end and >= 0)
        {
            at = end + 1;
            yield return (frame[..at], at);
        }

        while (at < frame.Length)
        {
            var start = at;
            var length = 0;
            var shift = 0;
            byte next;
            do
            {
                next = frame[at++];
                length |= (next & 0x7f) << shift;
                shift += 7;
            }
            while ((next & 0x80) != 0 && at < frame.Length);

            var body = at - start;
            at = Math.Min(at + length, frame.Length);
            yield return (frame[start..at], body);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex("/_blazor")]
    private static partial Regex BlazorHub();

    /// <summary>
    /// The head of a hub invocation in MessagePack: <c>[1, headers, id, target, [handle, second, …]]</c>, read as far
    /// as the target, the call's handle and, for a JavaScript call, the function's name.
    /// </summary>
    private readonly record struct Invocation(string Target, long Handle, string? Function)
    {
        public static Invocation? Read(ReadOnlyMemory<byte> body)
        {
            try
            {
                var reader = new MessagePackReader(body);
                if (reader.ReadArrayHeader() < 5 || reader.ReadInt32() != 1)
                {
                    return null;
                }

                reader.Skip();
                reader.Skip();
                var target = reader.ReadString();
                if (target is null || reader.ReadArrayHeader() < 2)
                {
                    return null;
                }

                var handle = reader.ReadInt64();
                return new Invocation(target, handle, target == Call ? reader.ReadString() : null);
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
            {
                // Not an invocation of that shape (a completion, a ping, the handshake's answer).
                return null;
            }
        }
    }
}
