using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// The self-service page (<c>/register/resend</c>) under interleaved requests of every case, as a person uses it:
/// GET the page (antiforgery cookie and token), then POST the form. Only the POST is timed: it is the answer
/// that must not tell the cases apart. The page's per-address limit is <c>Api:RateLimit</c>, which the bench
/// host raises (<see cref="HostRunner.PermitLimit"/>), so every answer is the neutral confirmation.
/// </summary>
internal static partial class SelfServicePhase
{
    public const string Path = "/register/resend";

    public static readonly string[] Names = ["pending", "registered", "deactivated", "unknown user", "unknown org"];

    private const string Confirmation = "If an account is waiting for registration, a new code is on its way.";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>An organization of its own, so no other phase has touched these users' throttle rows.</summary>
    public static async Task<TestData> SeedAsync(string dbFile, int perCase)
    {
        var data = await Seeder.SeedAsync(dbFile, perCase, perCase, perCase);
        Console.WriteLine($"Seeded a second organization with {perCase:N0} pending, registered and deactivated users for the self-service page");
        return data;
    }

    /// <summary><paramref name="perCase"/> form posts of each case, shuffled, sent by <paramref name="clients"/> clients
    /// that each keep their own cookies.</summary>
    /// <param name="lookAlike">Unknown users named like the pending ones (never seeded), so their rows fall among the
    /// others' in every index and only existence differs.</param>
    public static async Task<PhaseResult> RunAsync(Uri baseAddress, TestData data, int perCase, int clients, CancellationToken ct, bool lookAlike = false)
    {
        var probes = new List<(int Case, string Email, string OrgId)>(perCase * Names.Length);
        for (var i = 0; i < perCase; i++)
        {
            probes.Add((0, TestData.PendingEmail(i), data.OrgId));
            probes.Add((1, TestData.RegisteredEmail(i), data.OrgId));
            probes.Add((2, TestData.DeactivatedEmail(i), data.OrgId));
            probes.Add((3, lookAlike ? TestData.PendingEmail(data.Pending + i) : $"self-service-unknown-{i}@bench.example", data.OrgId));
            probes.Add((4, lookAlike ? TestData.PendingEmail(i) : $"self-service-nobody-{i}@bench.example", Ids.New(Ids.Organization)));
        }

        var mix = probes.ToArray();
        Random.Shared.Shuffle(mix);
        Console.WriteLine($"Self-service page: {mix.Length:N0} shuffled GET + POST pairs ...");

        long next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var mine = new PhaseResult(Names.Length);
            using var client = new HttpClient(new SocketsHttpHandler
            {
                CookieContainer = new CookieContainer(),
                UseCookies = true,
                AllowAutoRedirect = false,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
            })
            { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

            while (!ct.IsCancellationRequested && Interlocked.Increment(ref next) is var i && i < mix.Length)
            {
                var (@case, email, orgId) = mix[i];
                try
                {
                    var page = await client.GetStringAsync(new Uri(Path, UriKind.Relative), ct);
                    if (TokenField().Match(page) is not { Success: true } token)
                    {
                        mine.Fail("no antiforgery token on the page");
                        continue;
                    }

                    using var form = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["_handler"] = "resend",
                        ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
                        ["Input.Email"] = email,
                        ["Input.OrgId"] = orgId,
                    });
                    var started = Stopwatch.GetTimestamp();
                    using var response = await client.PostAsync(new Uri(Path, UriKind.Relative), form, ct);
                    var body = await response.Content.ReadAsStringAsync(ct);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        mine.Fail($"HTTP {(int)response.StatusCode}");
                    }
                    else if (!body.Contains(Confirmation, StringComparison.Ordinal))
                    {
                        // A throttled or rate-limited answer would measure something else.
                        mine.Fail("not the neutral confirmation");
                    }
                    else
                    {
                        mine.Latencies[@case].Add(ms);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    mine.Fail(ex.GetType().Name);
                }
            }

            return mine;
        }, CancellationToken.None)).ToList();

        var results = await Task.WhenAll(workers);
        var total = new PhaseResult(Names.Length) { Elapsed = clock.Elapsed };
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

    public static void Report(Report report, PhaseResult result)
    {
        report.Table(["Self-service page, POST", "OK", "p50 ms", "p99 ms"], Enumerable.Range(0, Names.Length)
            .Select(c => new[] { Names[c], $"{result.Latencies[c].Count:N0}", $"{result.Percentile(50, c):0.0}", $"{result.Percentile(99, c):0.0}" })
            .Append(["all cases", $"{result.Requests:N0}", $"{result.Percentile(50):0.0}", $"{result.Percentile(99):0.0}"]));
        var medians = Enumerable.Range(0, Names.Length).Select(c => result.Percentile(50, c)).ToArray();
        report.Line($"Self-service: {result.Requests / result.Elapsed.TotalSeconds:N0} form posts/s (each after its GET); largest difference between case medians {(medians.Max() - medians.Min()) / medians.Min():P1}.");
    }
}
