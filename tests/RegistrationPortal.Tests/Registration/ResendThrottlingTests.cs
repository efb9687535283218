using System.Globalization;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class ResendThrottlingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private static readonly RegistrationOptions Options = new() { ResendCooldown = TimeSpan.FromMinutes(1), MaxResendsPerHour = 3 };

    private static AdminResendThrottle Row(DateTimeOffset last, DateTimeOffset windowStart, int count) => new()
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

    [Fact]
    public void Three_resends_in_an_hour_make_the_fourth_wait_until_the_hour_is_up()
    {
        AdminResendThrottle? row = null;
        foreach (var minutes in new[] { 0, 10, 20 })
        {
            Assert.Null(ResendThrottling.Check(row, Start.AddMinutes(minutes), Options));
            row = ResendThrottling.NextAdmin(row, "or-x", "A@B.CO", Start.AddMinutes(minutes));
        }

        Assert.Equal(Start.AddMinutes(20), row!.LastRequestAt);
        Assert.Equal(TimeSpan.FromMinutes(30), ResendThrottling.Check(row, Start.AddMinutes(30), Options));
    }

    [Fact]
    public void A_resend_at_the_hour_starts_a_new_window_and_one_a_tick_earlier_does_not()
    {
        var row = Row(Start.AddMinutes(20), Start, 2);

        var atTheHour = ResendThrottling.NextAdmin(row, "or-x", "A@B.CO", Start.AddHours(1));
        var tickEarlier = ResendThrottling.NextAdmin(row, "or-x", "A@B.CO", Start.AddHours(1).AddTicks(-1));

        Assert.Equal((Start.AddHours(1), 1), (atTheHour.WindowStartedAt, atTheHour.WindowCount));
        Assert.Equal((Start, 3), (tickEarlier.WindowStartedAt, tickEarlier.WindowCount));
        Assert.Equal((Start, 2), (row.WindowStartedAt, row.WindowCount));
    }

    // now is Start + 2 h; the cooldown is a minute and the cap 3 an hour.
    [Theory]
    [InlineData("00:01:00", "02:00:00", 1, false)]
    [InlineData("00:00:59.9999999", "02:00:00", 1, true)]
    [InlineData("00:05:00", "00:10:00", 2, false)]
    [InlineData("00:05:00", "00:10:00", 3, true)]
    [InlineData("00:30:00", "01:00:00", 3, false)]
    [InlineData("00:30:00", "00:59:59.9999999", 3, true)]
    public void The_query_predicate_throttles_exactly_the_rows_Check_makes_wait(string lastAgo, string windowAgo, int count, bool throttled)
    {
        var now = Start.AddHours(2);
        var row = Row(now - TimeSpan.Parse(lastAgo, CultureInfo.InvariantCulture), now - TimeSpan.Parse(windowAgo, CultureInfo.InvariantCulture), count);

        Assert.Equal(throttled, ResendThrottling.IsThrottling<AdminResendThrottle>(now, Options).Compile()(row));
        Assert.Equal(throttled, ResendThrottling.Check(row, now, Options) is not null);
    }

    [Theory]
    [InlineData("00:01:00")]
    [InlineData("01:00:00")]
    [InlineData("02:00:00")]
    public void A_counter_idle_since_IdleBefore_holds_no_one_back_and_one_a_tick_newer_does(string cooldown)
    {
        var options = new RegistrationOptions { ResendCooldown = TimeSpan.Parse(cooldown, CultureInfo.InvariantCulture), MaxResendsPerHour = 3 };
        var now = Start.AddDays(1);
        var idleBefore = ResendThrottling.IdleBefore(now, options);
        var newer = idleBefore.AddTicks(1);

        // The counter that holds back longest for its last request: at the cap, its window begun by that request.
        Assert.Null(ResendThrottling.Check(Row(idleBefore, idleBefore, 3), now, options));
        Assert.NotNull(ResendThrottling.Check(Row(newer, newer, 3), now, options));
    }
}
