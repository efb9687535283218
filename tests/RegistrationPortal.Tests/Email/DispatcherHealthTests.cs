using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Tests.Email;

/// <summary>
/// What <c>/healthz</c> says about the mail dispatcher, and how long a stopping host waits for the message in hand:
/// the figures an operator's probe and shutdown rely on.
/// </summary>
public sealed class DispatcherHealthTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static (DispatcherHealthCheck Check, DispatcherHeartbeat Heartbeat, FakeTimeProvider Time) Health(bool enabled = true)
    {
        var time = new FakeTimeProvider(Start);
        var heartbeat = new DispatcherHeartbeat();
        var options = new ServiceCollection()
            .Configure<EmailOptions>(o =>
            {
                o.DispatcherEnabled = enabled;
                o.PollInterval = TimeSpan.FromSeconds(2);
                o.BatchSize = 3;
                o.Smtp.Timeout = TimeSpan.FromSeconds(5);
            })
            .BuildServiceProvider()
            .GetRequiredService<IOptionsMonitor<EmailOptions>>();
        return (new DispatcherHealthCheck(heartbeat, time, options), heartbeat, time);
    }

    private static async Task<(HealthStatus Status, string? Description)> CheckAsync(DispatcherHealthCheck check)
    {
        var result = await check.CheckHealthAsync(new HealthCheckContext());
        return (result.Status, result.Description);
    }

    [Fact]
    public async Task A_dispatcher_that_never_went_round_its_loop_is_not_running()
    {
        var (check, heartbeat, _) = Health();

        Assert.Null(heartbeat.LastBeat);
        Assert.Equal((HealthStatus.Unhealthy, "not running"), await CheckAsync(check));
    }

    /// <summary>Silence is allowed for three poll intervals plus a whole batch at the SMTP timeout (here 3 × 2 s + 3 × 5 s = 21 s), not a tick more.</summary>
    [Fact]
    public async Task The_dispatcher_is_running_until_it_has_been_silent_longer_than_three_polls_and_a_slow_batch()
    {
        var (check, heartbeat, time) = Health();
        heartbeat.Beat(Start);
        Assert.Equal(Start, heartbeat.LastBeat);
        Assert.Equal((HealthStatus.Healthy, "running"), await CheckAsync(check));

        time.Advance(TimeSpan.FromSeconds(21));
        Assert.Equal((HealthStatus.Healthy, "running"), await CheckAsync(check));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal((HealthStatus.Unhealthy, "not running"), await CheckAsync(check));

        heartbeat.Beat(time.GetUtcNow());
        Assert.Equal(time.GetUtcNow(), heartbeat.LastBeat);
        Assert.Equal((HealthStatus.Healthy, "running"), await CheckAsync(check));
    }

    [Fact]
    public async Task A_dispatcher_turned_off_by_configuration_is_healthy_and_says_so()
    {
        var (check, _, _) = Health(enabled: false);

        Assert.Equal((HealthStatus.Healthy, "disabled by configuration"), await CheckAsync(check));
    }

    /// <summary>
    /// A stopping host gives the dispatcher time for a connect and a send at the SMTP timeout, plus 5 s: never less than
    /// the host's own 30 s, and a timeout the configuration check would refuse counts as the default 30 s.
    /// </summary>
    [Theory]
    [InlineData(null, "00:01:05")]
    [InlineData("00:00:20", "00:00:45")]
    [InlineData("00:00:12.5", "00:00:30")]
    [InlineData("00:00:05", "00:00:30")]
    [InlineData("00:10:00", "00:20:05")]
    [InlineData("00:10:00.001", "00:01:05")]
    [InlineData("00:00:00", "00:01:05")]
    [InlineData("-00:00:20", "00:01:05")]
    [InlineData("twenty seconds", "00:01:05")]
    public void A_stopping_host_waits_for_two_smtp_timeouts_and_five_seconds(string? smtpTimeout, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Email:Smtp:Timeout"] = smtpTimeout });
        builder.AddEmail();
        using var services = builder.Services.BuildServiceProvider();

        Assert.Equal(TimeSpan.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void A_longer_shutdown_time_set_by_the_operator_is_kept()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        builder.AddEmail();
        using var services = builder.Services.BuildServiceProvider();

        Assert.Equal(TimeSpan.FromMinutes(5), services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
