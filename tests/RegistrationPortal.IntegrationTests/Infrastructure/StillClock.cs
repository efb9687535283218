using Microsoft.Extensions.Time.Testing;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>A host's clock that stands still until a test moves it, started on a time the database stores exactly.</summary>
public static class StillClock
{
    /// <summary>Now, on a whole millisecond, as the database keeps times.</summary>
    public static FakeTimeProvider OnWholeMillisecond() => new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    /// <summary>Now, on a whole second: where times are stored to 100 µs and a window's end is tried at its very instant.</summary>
    public static FakeTimeProvider OnWholeSecond()
    {
        var now = DateTimeOffset.UtcNow;
        return new FakeTimeProvider(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)));
    }
}
