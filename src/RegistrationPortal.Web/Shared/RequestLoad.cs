namespace RegistrationPortal.Web.Shared;

/// <summary>
/// The HTTP requests the host is answering, and whether it has lately been saturated by them: background work (the
/// mail) then yields to the people waiting on an answer. A request counts from when the pipeline sees it to its answer.
/// The portal's live connections (Blazor circuits, WebSockets) wait on nobody and are not counted.
/// </summary>
public sealed class RequestLoad(TimeProvider time)
{
    /// <summary>How long the host counts as busy after the requests in flight last reached <see cref="BusyAt"/>.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);

    private int _inFlight;
    private long _lastBusy = long.MinValue;

    /// <summary>Requests in flight at once that mark the host busy; 0 never does.</summary>
    public int BusyAt { get; init; }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// True while <see cref="BusyAt"/> requests are in flight, and for <see cref="Hold"/> after they last were: under a
    /// steady load the count dips between answers, and work that yields should not flap in and out with it.
    /// </summary>
    public bool Busy
    {
        get
        {
            if (BusyAt <= 0)
            {
                return false;
            }

            if (InFlight >= BusyAt)
            {
                return true;
            }

            var last = Interlocked.Read(ref _lastBusy);
            return last != long.MinValue && time.GetElapsedTime(last) < Hold;
        }
    }

    public void Enter() => Mark(Interlocked.Increment(ref _inFlight));

    /// <summary>A request answered: when it was one of <see cref="BusyAt"/> or more, the <see cref="Hold"/> starts now.</summary>
    public void Exit() => Mark(Interlocked.Decrement(ref _inFlight) + 1);

    private void Mark(int inFlight)
    {
        if (BusyAt > 0 && inFlight >= BusyAt)
        {
            Interlocked.Exchange(ref _lastBusy, time.GetTimestamp());
        }
    }
}

public static class RequestLoadSetup
{
    /// <summary>Counts every request but the long-lived ones; first in the pipeline, so a request is counted whatever answers it.</summary>
    public static IApplicationBuilder UseRequestLoad(this IApplicationBuilder app)
    {
        var load = app.ApplicationServices.GetRequiredService<RequestLoad>();
        return app.Use(async (context, next) =>
        {
            if (context.WebSockets.IsWebSocketRequest || context.Request.Path.StartsWithSegments("/_blazor"))
            {
                await next(context);
                return;
            }

            load.Enter();
            try
            {
                await next(context);
            }
            finally
            {
                load.Exit();
            }
        });
    }
}
