using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Shared;

/// <summary>When the host counts as busy with requests: the mail's senders yield to them then (Email:SendersUnderLoad).</summary>
public sealed class RequestLoadTests
{
    [Fact]
    public void The_host_is_busy_while_the_mark_is_in_flight_and_for_a_second_after()
    {
        var time = new FakeTimeProvider();
        var load = new RequestLoad(time) { BusyAt = 3 };

        load.Enter();
        load.Enter();
        Assert.False(load.Busy);

        load.Enter();
        Assert.True(load.Busy);

        // A steady load dips between answers: the host stays busy through the dip.
        load.Exit();
        AssertBusyForTheHoldOnly(load, time);
        Assert.Equal(2, load.InFlight);
    }

    [Fact]
    public void Requests_held_in_flight_keep_the_host_busy_however_long_they_take_and_for_the_hold_after()
    {
        var time = new FakeTimeProvider();
        var load = new RequestLoad(time) { BusyAt = 2 };
        load.Enter();
        load.Enter();

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(load.Busy);

        // Answered at last: the host stays busy for the hold from that answer, not from when they arrived.
        load.Exit();
        AssertBusyForTheHoldOnly(load, time);
    }

    [Fact]
    public void A_mark_of_zero_never_makes_the_host_busy()
    {
        var load = new RequestLoad(new FakeTimeProvider()) { BusyAt = 0 };
        for (var i = 0; i < 100; i++)
        {
            load.Enter();
        }

        Assert.False(load.Busy);
    }

    [Theory]
    [InlineData("/auth/registration/code", false, 1)]
    [InlineData("/register", false, 1)]
    [InlineData("/_blazor", false, 0)]
    [InlineData("/_blazor/negotiate", false, 0)]
    [InlineData("/users", true, 0)]
    public async Task A_request_counts_while_it_is_answered_and_a_live_connection_never(string path, bool webSocket, int countedWhileAnswered)
    {
        var load = new RequestLoad(new FakeTimeProvider()) { BusyAt = 1 };
        int? seen = null;
        var (answer, services) = Pipeline(load, _ =>
        {
            seen = load.InFlight;
            return Task.CompletedTask;
        });
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = path;
        if (webSocket)
        {
            context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpWebSocketFeature>(new WebSocketRequest());
        }

        await answer(context);

        Assert.Equal(countedWhileAnswered, seen);
        Assert.Equal(0, load.InFlight);
    }

    [Fact]
    public async Task A_request_that_fails_is_no_longer_counted()
    {
        var load = new RequestLoad(new FakeTimeProvider()) { BusyAt = 1 };
        var (answer, services) = Pipeline(load, _ => throw new InvalidOperationException("the answer failed"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => answer(new DefaultHttpContext { RequestServices = services }));

        Assert.Equal(0, load.InFlight);
    }

    private static void AssertBusyForTheHoldOnly(RequestLoad load, FakeTimeProvider time)
    {
        time.Advance(RequestLoad.Hold - TimeSpan.FromMilliseconds(1));
        Assert.True(load.Busy);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(load.Busy);
    }

    /// <summary>The counting middleware in front of <paramref name="terminal"/>, as the host puts it first in its pipeline.</summary>
    private static (RequestDelegate Answer, IServiceProvider Services) Pipeline(RequestLoad load, RequestDelegate terminal)
    {
        var services = new ServiceCollection().AddSingleton(load).BuildServiceProvider();
        var app = new ApplicationBuilder(services);
        app.UseRequestLoad();
        app.Run(terminal);
        return (app.Build(), services);
    }

    private sealed class WebSocketRequest : Microsoft.AspNetCore.Http.Features.IHttpWebSocketFeature
    {
        public bool IsWebSocketRequest => true;

        public Task<System.Net.WebSockets.WebSocket> AcceptAsync(WebSocketAcceptContext context) => throw new NotSupportedException();
    }
}
