using System.Text.Json;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// Each public door one request at a time, the cases interleaved in random order, as an attacker who measures one answer
/// at a time sees it (under load, queueing hides differences). For each door: the case medians, and how well one
/// request's latency tells a pending user from an unknown one: the area under the ROC curve (0.5 is a coin) and the
/// accuracy of the best single threshold (50 % is a coin).
/// </summary>
internal static class SequentialPhase
{
    public static readonly string[] Names = ["pending", "registered", "deactivated", "unknown user", "unknown org"];

    private const string InitPath = "/auth/registration/init";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    internal sealed record Data(TestData Resend, TestData Init, TestData SelfService);

    internal sealed record Result(IReadOnlyList<(string Door, PhaseResult Result)> Doors);

    /// <summary>An organization per door, so no other phase has touched these users' counters.</summary>
    public static async Task<Data> SeedAsync(string dbFile, int perCase)
    {
        var data = new Data(
            await Seeder.SeedAsync(dbFile, perCase, perCase, perCase),
            await Seeder.SeedAsync(dbFile, perCase, perCase, perCase),
            await Seeder.SeedAsync(dbFile, perCase, perCase, perCase));
        Console.WriteLine($"Seeded three organizations with {perCase:N0} pending, registered and deactivated users for the one-at-a-time phase");
        return data;
    }

    public static async Task<Result> RunAsync(Uri baseAddress, Data data, int perCase, CancellationToken ct)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

        // Warm the init path (the throughput phases never ran it), on users of no case.
        var warm = Enumerable.Range(0, 200).Select(i => InitProbe(3, $"warm-{i}@bench.example", data.Init.OrgId)).ToList();
        await LoadGenerator.RunAsync(client, 1, Names.Length, i => i < warm.Count ? warm[(int)i] : null, null, null, ct);

        Console.WriteLine($"One at a time: {perCase * Names.Length:N0} interleaved requests per door ...");
        var resends = Probes(data.Resend, perCase, (@case, email, orgId) => new Probe(@case, HttpMethod.Put, Cases.Path, Cases.Body(email, orgId)));
        var resend = await LoadGenerator.RunAsync(client, 1, Names.Length, i => i < resends.Count ? resends[(int)i] : null, null, Cases.Success, ct);
        var inits = Probes(data.Init, perCase, InitProbe);
        var init = await LoadGenerator.RunAsync(client, 1, Names.Length, i => i < inits.Count ? inits[(int)i] : null, null, null, ct);
        var selfService = await SelfServicePhase.RunAsync(baseAddress, data.SelfService, perCase, 1, ct, lookAlike: true);
        return new Result([
            ($"PUT {Cases.Path}", resend),
            ("Self-service page, POST", selfService),
            ($"POST {InitPath}, wrong code", init),
        ]);
    }

    public static void Report(Report report, Result result)
    {
        report.Table(
            ["One at a time, interleaved", .. Names.Select(n => $"{n} p50"), "spread", "AUC", "best guess"],
            result.Doors.Select(d =>
            {
                var medians = Enumerable.Range(0, Names.Length).Select(c => d.Result.Percentile(50, c)).ToArray();
                var pending = d.Result.Latencies[0];
                var unknown = d.Result.Latencies[3];
                return (string[])[
                    d.Door,
                    .. medians.Select(m => $"{m:0.00}"),
                    $"{(medians.Max() - medians.Min()) / medians.Min():P1}",
                    $"{Auc(pending, unknown):0.000}",
                    $"{BestAccuracy(pending, unknown):P1}",
                ];
            }));
        report.Line("Medians in ms; spread is the largest difference between case medians; AUC and best guess: one request's latency as a test of pending against unknown user (0.500 and 50 % are a coin toss).");
    }

    /// <summary>The probability that a random pending request took longer than a random unknown one (ties count half).</summary>
    internal static double Auc(IReadOnlyList<double> positive, IReadOnlyList<double> negative)
    {
        if (positive.Count == 0 || negative.Count == 0)
        {
            return double.NaN;
        }

        var all = positive.Select(v => (Value: v, Positive: true)).Concat(negative.Select(v => (Value: v, Positive: false))).OrderBy(x => x.Value).ToList();
        double rankSum = 0;
        for (var i = 0; i < all.Count;)
        {
            var j = i;
            while (j < all.Count && all[j].Value == all[i].Value)
            {
                j++;
            }

            var rank = (i + 1 + j) / 2.0;
            rankSum += rank * all.Skip(i).Take(j - i).Count(x => x.Positive);
            i = j;
        }

        var u = rankSum - (positive.Count * (positive.Count + 1) / 2.0);
        var auc = u / ((double)positive.Count * negative.Count);
        return auc;
    }

    /// <summary>The best accuracy of "pending if slower than t" (or faster, whichever is better) over every threshold t, classes weighted equally.</summary>
    internal static double BestAccuracy(IReadOnlyList<double> positive, IReadOnlyList<double> negative)
    {
        var thresholds = positive.Concat(negative).Distinct().Order().ToList();
        var best = 0.5;
        foreach (var t in thresholds)
        {
            var tpr = positive.Count(v => v > t) / (double)positive.Count;
            var tnr = negative.Count(v => v <= t) / (double)negative.Count;
            var accuracy = (tpr + tnr) / 2;
            best = Math.Max(best, Math.Max(accuracy, 1 - accuracy));
        }

        return best;
    }

    /// <summary>
    /// <paramref name="perCase"/> requests of each case in random order. Unknown users are named like the pending ones
    /// (never seeded), and the unknown organization's requests name pending users, so every case's rows fall among the
    /// others' in every index: only whether the account exists differs.
    /// </summary>
    private static List<Probe> Probes(TestData data, int perCase, Func<int, string, string, Probe> make)
    {
        var probes = new List<Probe>(perCase * Names.Length);
        for (var i = 0; i < perCase; i++)
        {
            probes.Add(make(0, TestData.PendingEmail(i), data.OrgId));
            probes.Add(make(1, TestData.RegisteredEmail(i), data.OrgId));
            probes.Add(make(2, TestData.DeactivatedEmail(i), data.OrgId));
            probes.Add(make(3, TestData.PendingEmail(data.Pending + i), data.OrgId));
            probes.Add(make(4, TestData.PendingEmail(i), Ids.New(Ids.Organization)));
        }

        var array = probes.ToArray();
        Random.Shared.Shuffle(array);
        return [.. array];
    }

    private static Probe InitProbe(int @case, string username, string orgId) =>
        new(@case, HttpMethod.Post, InitPath, JsonSerializer.SerializeToUtf8Bytes(new InitBody(username, "WRNG-0000-AAAA-AAAA", orgId), Web), Status: 401);

    private sealed record InitBody(string Username, string RegistrationCode, string OrgId);
}
