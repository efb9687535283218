using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// The portal's own metrics and trace spans. Instruments are recorded whether or not anything listens (an unheard
/// instrument costs a branch); OpenTelemetry exports them when <c>Telemetry</c> turns an exporter on.
/// No tag ever carries a code, a token, a password or an email address.
/// </summary>
public sealed class PortalTelemetry : IDisposable
{
    public const string Name = "RegistrationPortal";

    /// <summary>The traces of the resend path: service, database write, dispatcher, SMTP.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _resends;
    private readonly Counter<long> _codesConsumed;
    private readonly Counter<long> _guessingCutoffs;
    private readonly Counter<long> _throttleRejections;
    private readonly Counter<long> _deliveryAttempts;
    private readonly Counter<long> _deliveryFailures;
    private readonly Histogram<int> _writeBatchSize;
    private readonly Histogram<double> _writeBatchDuration;

    public PortalTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _resends = _meter.CreateCounter<long>("portal.registration.resends", "{resend}", "Resend requests by door and true outcome.");
        _codesConsumed = _meter.CreateCounter<long>("portal.registration.codes_consumed", "{code}", "Codes consumed by a completed registration.");
        _guessingCutoffs = _meter.CreateCounter<long>("portal.registration.guessing_cutoffs", "{code}", "Codes invalidated after too many wrong attempts.");
        _throttleRejections = _meter.CreateCounter<long>("portal.throttle.rejections", "{request}", "Requests refused by a limit: per user (the resend throttle) or per client address.");
        _deliveryAttempts = _meter.CreateCounter<long>("portal.email.delivery_attempts", "{attempt}", "Attempts to hand a message to the mail transport, by outcome.");
        _deliveryFailures = _meter.CreateCounter<long>("portal.email.delivery_failures", "{failure}", "Failed delivery attempts; final when the dispatcher gave up on the message.");
        _writeBatchSize = _meter.CreateHistogram("portal.db.write_batch.size", "{item}", "Work items committed together by the single writer.", tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

        // Its sum's rate is the share of each second the writer works: near 1 on SQLite, the single writer is the host's
        // write limit, and a request waits for the batch under way (the slow buckets are the doors' tail).
        _writeBatchDuration = _meter.CreateHistogram("portal.db.write_batch.duration", "s", "Time a writer took to run and commit one batch of work items.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    }

    /// <summary>The meter, for observable instruments that other services own.</summary>
    public Meter Meter => _meter;

    public static string Door(ActorKind kind) => kind switch
    {
        ActorKind.Admin => "admin",
        ActorKind.SelfService => "self_service",
        ActorKind.ApiApplication => "api",
        _ => "system",
    };

    /// <param name="outcome">The resend's true outcome, as <c>ResendTelemetry.Outcome</c> names it.</param>
    public void Resend(ActorKind door, string outcome) =>
        _resends.Add(1, new KeyValuePair<string, object?>("door", Door(door)), new KeyValuePair<string, object?>("outcome", outcome));

    public void CodeConsumed(ActorKind door) => _codesConsumed.Add(1, new KeyValuePair<string, object?>("door", Door(door)));

    public void GuessingCutoff(ActorKind door) => _guessingCutoffs.Add(1, new KeyValuePair<string, object?>("door", Door(door)));

    /// <param name="limit"><c>per_user</c> or <c>per_address</c>.</param>
    public void ThrottleRejection(string limit, ActorKind door) =>
        _throttleRejections.Add(1, new KeyValuePair<string, object?>("limit", limit), new KeyValuePair<string, object?>("door", Door(door)));

    public void DeliveryAttempt(bool sent, bool gaveUp)
    {
        _deliveryAttempts.Add(1, new KeyValuePair<string, object?>("outcome", sent ? "sent" : "failed"));
        if (!sent)
        {
            _deliveryFailures.Add(1, new KeyValuePair<string, object?>("final", gaveUp ? "true" : "false"));
        }
    }

    public void WriteBatch(int size, TimeSpan took)
    {
        _writeBatchSize.Record(size);
        _writeBatchDuration.Record(took.TotalSeconds);
    }

    /// <summary>
    /// Starts a span under <paramref name="parent"/>. Without a listener it still starts a plain activity, so the
    /// correlation id (the trace id) reaches log scopes and audit events whether or not tracing is exported.
    /// </summary>
    public static Activity StartActivity(string name, ActivityKind kind = ActivityKind.Internal, ActivityContext parent = default)
    {
        var activity = Source.StartActivity(name, kind, parent);
        if (activity is not null)
        {
            return activity;
        }

        activity = new Activity(name);
        if (parent != default)
        {
            activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
        }

        return activity.Start();
    }

    /// <summary>The id that ties a request's logs, spans and audit events together: its W3C trace id.</summary>
    public static string? CurrentCorrelationId() => Activity.Current is { } current ? current.TraceId.ToHexString() : null;

    public void Dispose() => _meter.Dispose();
}
