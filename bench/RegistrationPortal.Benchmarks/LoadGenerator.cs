using System.Diagnostics;
using System.Net.Http.Headers;

namespace RegistrationPortal.Benchmarks;

/// <summary>One request to send: its case (for per-case figures), method, path and JSON body.</summary>
/// <param name="Status">The status every answer must have (the wrong-code phase expects 401).</param>
internal sealed record Probe(int Case, HttpMethod Method, string Path, byte[]? Body = null, int Status = 200);

/// <summary>What a phase measured: latencies per case, in milliseconds, sorted; failures by kind.</summary>
internal sealed class PhaseResult(int cases)
{
    public List<double>[] Latencies { get; } = Enumerable.Range(0, cases).Select(_ => new List<double>()).ToArray();

    public Dictionary<string, int> Failures { get; } = new(StringComparer.Ordinal);

    public TimeSpan Elapsed { get; set; }

    /// <summary>True when the request source ran dry before the duration was up.</summary>
    public bool Exhausted { get; set; }

    public int Requests => Latencies.Sum(l => l.Count);

    public int FailureCount => Failures.Values.Sum();

    public double Throughput => Requests / Elapsed.TotalSeconds;

    public double Percentile(double p, int? @case = null)
    {
        var sorted = @case is { } c ? Latencies[c] : Latencies.SelectMany(l => l).Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    public void Add(PhaseResult worker)
    {
        for (var c = 0; c < Latencies.Length; c++)
        {
            Latencies[c].AddRange(worker.Latencies[c]);
        }

        foreach (var (kind, count) in worker.Failures)
        {
            Failures[kind] = Failures.GetValueOrDefault(kind) + count;
        }
    }

    public void Fail(string kind) => Failures[kind] = Failures.GetValueOrDefault(kind) + 1;
}

/// <summary>A closed loop: N clients on one shared HttpClient, each sending its next request as soon as the last is answered.</summary>
internal static class LoadGenerator
{
    private static readonly MediaTypeHeaderValue Json = MediaTypeHeaderValue.Parse("application/json");

    /// <summary>
    /// Sends <paramref name="next"/>(0), (1), ... until it returns null or <paramref name="duration"/> is over. Every answer
    /// must have the probe's status (200 unless it says otherwise) and, when <paramref name="expectedBody"/> is given, exactly that body; anything else counts as a failure.
    /// </summary>
    public static async Task<PhaseResult> RunAsync(HttpClient client, int clients, int cases, Func<long, Probe?> next, TimeSpan? duration, byte[]? expectedBody, CancellationToken ct)
    {
        long sequence = -1;
        var exhausted = false;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var mine = new PhaseResult(cases);
            while (!ct.IsCancellationRequested && (duration is not { } d || clock.Elapsed < d))
            {
                if (next(Interlocked.Increment(ref sequence)) is not { } probe)
                {
                    exhausted = true;
                    break;
                }

                var started = Stopwatch.GetTimestamp();
                var failure = await SendAsync(client, probe, expectedBody, ct);
                if (failure is null)
                {
                    mine.Latencies[probe.Case].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else if (!ct.IsCancellationRequested)
                {
                    mine.Fail(failure);
                }
            }

            return mine;
        }, CancellationToken.None)).ToList();

        var results = await Task.WhenAll(workers);
        var total = new PhaseResult(cases) { Elapsed = clock.Elapsed, Exhausted = exhausted && duration is not null };
        foreach (var result in results)
        {
            total.Add(result);
        }

        foreach (var latencies in total.Latencies)
        {
            latencies.Sort();
        }

        return total;
    }

    /// <summary>
    /// An open loop: request i is due at <paramref name="rate"/> requests a second from the start, sent when due whether or
    /// not the earlier ones were answered, and its latency counts from when it was due, not from when it went out. So the
    /// time a request spends waiting behind slow ones is in the figures (no coordinated omission), as users arriving on
    /// their own would see it. The client's connection limit still applies: waiting for a connection counts too.
    /// </summary>
    public static async Task<PhaseResult> RunOpenAsync(HttpClient client, double rate, Func<long, Probe?> next, TimeSpan duration, byte[]? expectedBody, CancellationToken ct)
    {
        var result = new PhaseResult(1);
        var gate = new object();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var exhausted = false;
        while (!ct.IsCancellationRequested && clock.Elapsed < duration)
        {
            // Everything due by now goes out now; then a short wait for the next.
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; sent < due; sent++)
            {
                if (next(sent) is not { } probe)
                {
                    exhausted = true;
                    break;
                }

                var dueAt = TimeSpan.FromSeconds(sent / rate);
                inFlight.Add(SendAsync(probe, dueAt));
            }

            if (exhausted)
            {
                break;
            }

            await Task.Delay(1, CancellationToken.None);
        }

        await Task.WhenAll(inFlight);
        result.Elapsed = clock.Elapsed;
        result.Exhausted = exhausted;
        result.Latencies[0].Sort();
        return result;

        async Task SendAsync(Probe probe, TimeSpan dueAt)
        {
            var failure = await LoadGenerator.SendAsync(client, probe, expectedBody, ct);
            var ms = (clock.Elapsed - dueAt).TotalMilliseconds;
            lock (gate)
            {
                if (failure is null)
                {
                    result.Latencies[0].Add(ms);
                }
                else
                {
                    result.Fail(failure);
                }
            }
        }
    }

    /// <summary>Sends <paramref name="probe"/> and checks its answer; null when it is as expected, else what was wrong.</summary>
    private static async Task<string?> SendAsync(HttpClient client, Probe probe, byte[]? expectedBody, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(probe.Method, new Uri(probe.Path, UriKind.Relative));
        if (probe.Body is not null)
        {
            request.Content = new ByteArrayContent(probe.Body);
            request.Content.Headers.ContentType = Json;
        }

        try
        {
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return (int)response.StatusCode != probe.Status ? $"HTTP {(int)response.StatusCode}"
                : expectedBody is not null && !body.AsSpan().SequenceEqual(expectedBody) ? "unexpected body"
                : null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return ex.GetType().Name;
        }
    }
}
