using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Testing;

/// <summary>
/// Holds the single writer as a long write of someone else's would: whatever the host writes meanwhile waits its turn.
/// Shared by the unit and browser tests (linked into the browser test project).
/// </summary>
public static class HeldWriter
{
    /// <summary>Returns once the writer is held; disposing releases it and waits until the holding write has ended.</summary>
    public static async Task<IAsyncDisposable> HoldAsync(this WriteQueue writes, TimeSpan deadline)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = writes.ExecuteAsync(async _ =>
        {
            held.TrySetResult();
            await release.Task;
            return true;
        });
        await held.Task.WaitAsync(deadline);
        return new Hold(release, holding);
    }

    private sealed class Hold(TaskCompletionSource release, Task holding) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            release.TrySetResult();
            await holding;
        }
    }
}
