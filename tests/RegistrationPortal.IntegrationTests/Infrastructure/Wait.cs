using System.Diagnostics;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>Waiting for a condition with a deadline, never for a fixed time.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }

            await Task.Delay(PollEvery);
        }
    }

    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => WaitUntilAsync(condition, DefaultTimeout, what);

    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), DefaultTimeout, what);
}
