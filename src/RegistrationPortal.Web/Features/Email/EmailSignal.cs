namespace RegistrationPortal.Web.Features.Email;

/// <summary>Wakes the dispatcher when a commit has queued mail, so it does not wait for its next poll.</summary>
public sealed class EmailSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}

/// <summary>The Data Protection purpose of the secret part of an outbox row.</summary>
public static class OutboxPayload
{
    public const string Purpose = "RegistrationPortal.Outbox.Code.v1";
}
