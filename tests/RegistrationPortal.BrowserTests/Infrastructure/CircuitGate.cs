using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// A server slow to call the page's JavaScript, on demand: sits in the page's Blazor WebSocket and holds the server's
/// calls to the given functions while armed; everything else goes through. So a test can do what a person does
/// while such a call is on its way (type, open a dialog) and then let it land, without depending on how busy the
/// machine is.
/// </summary>
public sealed partial class CircuitGate
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes("EndInvokeJSFromDotNet");

    private readonly Lock _lock = new();
    private readonly byte[][] _names;
    private readonly List<(IWebSocketRoute Page, IWebSocketFrame Frame)> _held = [];
    private TaskCompletionSource _holding = NewSignal();
    private TaskCompletionSource? _answered;
    private bool _armed = true;

    private CircuitGate(IEnumerable<string> functions) =>
        _names = functions.Select(Encoding.UTF8.GetBytes).ToArray();

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
    /// Lets the held calls through and holds no more until armed again; completes once the page has answered a call
    /// (the first answer after them: the page runs a call and answers it as it arrives).
    /// </summary>
    public Task ReleaseAsync()
    {
        lock (_lock)
        {
            _armed = false;
            _answered = NewSignal();
            foreach (var (socket, frame) in _held)
            {
                Send(socket, frame);
            }

            _held.Clear();
            return _answered.Task;
        }
    }

    private void FromServer(IWebSocketRoute page, IWebSocketFrame frame)
    {
        lock (_lock)
        {
            if (_armed && Contains(frame, _names))
            {
                _held.Add((page, frame));
                _holding.TrySetResult();
                return;
            }
        }

        Send(page, frame);
    }

    private void FromPage(IWebSocketRoute server, IWebSocketFrame frame)
    {
        Send(server, frame);
        lock (_lock)
        {
            if (_answered is { } answered && Contains(frame, [Answer]))
            {
                answered.TrySetResult();
                _answered = null;
            }
        }
    }

    private static bool Contains(IWebSocketFrame frame, byte[][] names)
    {
        var bytes = frame.Binary ?? Encoding.UTF8.GetBytes(frame.Text ?? "");
        return names.Any(name => bytes.AsSpan().IndexOf(name) >= 0);
    }

    private static void Send(IWebSocketRoute socket, IWebSocketFrame frame)
    {
        if (frame.Binary is { } binary)
        {
            socket.Send(binary);
        }
        else
        {
            socket.Send(frame.Text ?? "");
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex("/_blazor")]
    private static partial Regex BlazorHub();
}
