using System.Threading.Channels;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// Wakes a background worker when there is work for it, so it need not wait for its next poll. A channel of one: a
/// wake-up that finds one already waiting is dropped, since the worker takes everything waiting when it wakes.
/// </summary>
public abstract class WakeSignal
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _signal.Writer.TryWrite(true);

    /// <summary>True when woken, false when <paramref name="timeout"/> passed first (no exception for a plain timeout).</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_signal.Reader.TryRead(out _))
        {
            return true;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        var woken = _signal.Reader.WaitToReadAsync(wait.Token).AsTask();
        await ((Task)woken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ct.ThrowIfCancellationRequested();
        return woken.IsCompletedSuccessfully && woken.Result && _signal.Reader.TryRead(out _);
    }
}
