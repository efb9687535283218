using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class ResendThrottlingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private static readonly RegistrationOptions Options = new() { ResendCooldown = TimeSpan.FromMinutes(1), MaxResendsPerHour = 3 };

    private static ResendThrottle Row(DateTimeOffset last, DateTimeOffset windowStart, int count) => new()
    {
        OrgId = "or-x",
        NormalizedUsername = "A@B.CO",
        LastRequestAt = last,
        WindowStartedAt = windowStart,
        WindowCount = count,
    };

    [Fact]
    public void A_first_request_is_allowed()
    {
        Assert.Null(ResendThrottling.Check(null, Start, Options));
    }

    [Fact]
    public void Within_the_cooldown_the_wait_is_what_is_left_of_it()
    {
        var wait = ResendThrottling.Check(Row(Start, Start, 1), Start.AddSeconds(20), Options);
        Assert.Equal(TimeSpan.FromSeconds(40), wait);
    }

    [Fact]
    public void After_the_cooldown_a_request_is_allowed()
    {
        Assert.Null(ResendThrottling.Check(Row(Start, Start, 1), Start.AddMinutes(1), Options));
    }

    [Fact]
    public void At_the_hourly_cap_the_wait_runs_to_the_end_of_the_window()
    {
        var wait = ResendThrottling.Check(Row(Start.AddMinutes(10), Start, 3), Start.AddMinutes(20), Options);
        Assert.Equal(TimeSpan.FromMinutes(40), wait);
    }

    [Fact]
    public void A_new_window_starts_after_an_hour()
    {
        var row = Row(Start.AddMinutes(10), Start, 3);
        var later = Start.AddMinutes(61);
        Assert.Null(ResendThrottling.Check(row, later, Options));
    }
}
