using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using RegistrationPortal.Benchmarks;
using RegistrationPortal.Web.Data;

// dotnet run -c Release --project bench/RegistrationPortal.Benchmarks [--users N] [--duration S] [--mixed N] [--clients N] [--warmup S] [--drain S]
//   [--sequential N]   (per case, one request at a time, for each public door; 0 skips)
//   [--search-users N] [--search-small N] [--search-runs N] [--bulk-users N] [--http 0|1] [--plans 0|1]
//   [--provider Postgres [--instances N] [--repeat N]]   (resend on SQLite, PostgreSQL and N hosts on one PostgreSQL database, side by side, beside pgbench -N;
//                                                        --repeat runs the PostgreSQL pair N times, alternating)
//   [--mail smtp|pickup]   (the host's mail to aiosmtpd on loopback, the default, or to a pickup folder)
//   [--open F]   (an open-loop phase at F times the closed loop's resend rate; 0 skips)
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var settings = Settings.Parse(args);
Machine.Start();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

if (settings.Provider == DatabaseProvider.Postgres)
{
    return await ProviderBench.RunAsync(settings, await Settings.EnsureWebBuiltAsync(Settings.FindRepositoryRoot()), cancel.Token);
}

var scaleExit = settings.SearchUsers > 0 || settings.BulkUsers > 0 ? await ScaleBench.RunAsync(settings, cancel.Token) : 0;
if (!settings.Http)
{
    return scaleExit;
}

var total = Stopwatch.StartNew();
var root = Settings.FindRepositoryRoot();
var webDll = await Settings.EnsureWebBuiltAsync(root);
var work = Directory.CreateTempSubdirectory("regportal-bench-");
var dbFile = Path.Combine(work.FullName, "portal.db");
HostRunner? host = null;
SmtpSink? smtp = null;
try
{
    var clock = Stopwatch.StartNew();
    var data = await Seeder.SeedAsync(dbFile, settings.Users, settings.Others, settings.Others);
    var seedTime = clock.Elapsed;
    Console.WriteLine($"Seeded {data.Pending:N0} pending, {data.Registered:N0} registered, {data.Deactivated:N0} deactivated users in {seedTime.TotalSeconds:0.0} s");
    var selfServiceData = await SelfServicePhase.SeedAsync(dbFile, settings.Mixed / SelfServicePhase.Names.Length);
    var sequentialData = settings.Sequential > 0 ? await SequentialPhase.SeedAsync(dbFile, settings.Sequential) : null;

    clock.Restart();
    smtp = settings.Smtp ? await SmtpSink.StartAsync(TimeSpan.FromSeconds(30)) : null;
    host = await HostRunner.StartAsync(webDll, work.FullName, dbFile, TimeSpan.FromSeconds(60), smtp?.Port);
    var startTime = clock.Elapsed;
    Console.WriteLine($"Host pid {host.ProcessId} healthy at {host.BaseAddress} after {startTime.TotalSeconds:0.0} s");

    using var client = new HttpClient(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = settings.Clients,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
    })
    { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    // The mixed phase's pending users are set aside first; the throughput phases take the rest, each user once.
    var perCase = settings.Mixed / Cases.Names.Length;
    long nextPending = perCase;
    Probe? Resend(long _) =>
        Interlocked.Increment(ref nextPending) - 1 is var i && i < data.Pending
            ? new Probe(0, HttpMethod.Put, Cases.Path, Cases.Body(TestData.PendingEmail(i), data.OrgId))
            : null;
    static Probe Health(long _) => new(0, HttpMethod.Get, "/healthz");
    static Probe Live(long _) => new(0, HttpMethod.Get, "/healthz/live");

    Console.WriteLine($"Warm-up {settings.Warmup.TotalSeconds:0} s ...");
    // Each endpoint measured is warmed (the no-op was not, and measured below readiness, a superset of its work).
    await LoadGenerator.RunAsync(client, settings.Clients, 1, Live, settings.Warmup / 4, null, cancel.Token);
    await LoadGenerator.RunAsync(client, settings.Clients, 1, Health, settings.Warmup / 4, null, cancel.Token);
    var warmup = await LoadGenerator.RunAsync(client, settings.Clients, 1, Resend, settings.Warmup / 2, Cases.Success, cancel.Token);

    // The warm-up's resends left requests to resolve and mail to send: the no-op waits until they are done, or the
    // host would be sending mail beside it (which took up to 40 % off the no-op, and so raised the resend's share).
    clock.Restart();
    var warmupBacklog = await BacklogAsync();
    while (warmupBacklog > 0 && host.ExitCode is null && clock.Elapsed < settings.Drain && !cancel.IsCancellationRequested)
    {
        await Task.Delay(100);
        warmupBacklog = await BacklogAsync();
    }

    Console.WriteLine($"The warm-up's mail sent within {clock.Elapsed.TotalSeconds:0.0} s{(warmupBacklog > 0 ? $" ({warmupBacklog:N0} left)" : "")}");

    // The no-op first (an endpoint that touches no database: the host's plain HTTP ceiling), then readiness; the
    // dispatcher is idle then.
    Console.WriteLine($"GET /healthz/live (no-op) for {settings.Duration.TotalSeconds:0} s ...");
    var cpuBefore = host.CpuTime;
    var stealMark = Machine.Mark();
    var noop = await LoadGenerator.RunAsync(client, settings.Clients, 1, Live, settings.Duration, null, cancel.Token);
    var noopCpu = host.CpuTime - cpuBefore;
    var noopStolen = Machine.StolenSince(stealMark);
    Console.WriteLine($"GET /healthz for {settings.Duration.TotalSeconds:0} s ...");
    var health = await LoadGenerator.RunAsync(client, settings.Clients, 1, Health, settings.Duration, null, cancel.Token);
    Console.WriteLine($"PUT {Cases.Path} (distinct pending users) for {settings.Duration.TotalSeconds:0} s ...");
    var sentBeforeResend = await SentAsync();
    (cpuBefore, var smtpCpuBefore) = (host.CpuTime, smtp?.CpuTime ?? TimeSpan.Zero);
    var gcWatch = GcWatch.Start(host.ProcessId);
    stealMark = Machine.Mark();
    var resend = await LoadGenerator.RunAsync(client, settings.Clients, 1, Resend, settings.Duration, Cases.Success, cancel.Token);
    var (resendCpu, smtpCpu) = (host.CpuTime - cpuBefore, (smtp?.CpuTime ?? TimeSpan.Zero) - smtpCpuBefore);
    var resendStolen = Machine.StolenSince(stealMark);
    var resendGc = gcWatch is null ? null : await gcWatch.StopAsync();

    // The mail that phase caused: what the dispatcher sent meanwhile, what was left (requests not yet resolved and mail
    // not yet sent), and how long it took to send the rest with no more load.
    var sentDuringResend = await SentAsync() - sentBeforeResend;
    var (unresolvedAfterResend, unsentAfterResend) = (await Seeder.CountPublicRequestsAsync(dbFile), await PendingAsync());
    var backlogAfterResend = unresolvedAfterResend + unsentAfterResend;
    // The dispatcher's own rate and cost are measured here, on the backlog the phase left, with no load: the drain at
    // the end of the run has only the few mails of the small phases left, and the host's idle work would weigh on them.
    clock.Restart();
    var sentBeforeCatchUp = await SentAsync();
    (cpuBefore, smtpCpuBefore) = (host.CpuTime, smtp?.CpuTime ?? TimeSpan.Zero);
    var backlog = backlogAfterResend;
    while (backlog > 0 && host.ExitCode is null && clock.Elapsed < settings.Drain && !cancel.IsCancellationRequested)
    {
        await Task.Delay(100);
        backlog = await BacklogAsync();
    }

    var catchUp = clock.Elapsed;
    var (catchUpCpu, catchUpSmtpCpu) = (host.CpuTime - cpuBefore, (smtp?.CpuTime ?? TimeSpan.Zero) - smtpCpuBefore);
    var sentInCatchUp = await SentAsync() - sentBeforeCatchUp;
    var backlogAfterCatchUp = backlog;

    // Requests arriving on their own at a fixed rate below the ceiling: latency counted from when each was due.
    PhaseResult? open = null;
    GcFigures? openGc = null;
    var openRate = resend.Throughput * settings.Open;
    if (openRate >= 1)
    {
        Console.WriteLine($"PUT {Cases.Path}, open loop at {openRate:N0} req/s for {settings.Duration.TotalSeconds:0} s ...");
        gcWatch = GcWatch.Start(host.ProcessId);
        open = await LoadGenerator.RunOpenAsync(client, openRate, Resend, settings.Duration, Cases.Success, cancel.Token);
        openGc = gcWatch is null ? null : await gcWatch.StopAsync();
    }

    var mix = Cases.Shuffled(data, perCase);
    Console.WriteLine($"Mixed cases: {mix.Count:N0} shuffled requests ...");
    var mixed = await LoadGenerator.RunAsync(client, settings.Clients, Cases.Names.Length, i => i < mix.Count ? mix[(int)i] : null, null, Cases.Success, cancel.Token);
    var selfService = await SelfServicePhase.RunAsync(host.BaseAddress, selfServiceData, settings.Mixed / SelfServicePhase.Names.Length, settings.Clients, cancel.Token);

    // Let the dispatcher catch up for a while, then count what is left.
    clock.Restart();
    var pendingAtEnd = await PendingAsync();
    while (pendingAtEnd > 0 && host.ExitCode is null && clock.Elapsed < settings.Drain && !cancel.IsCancellationRequested)
    {
        await Task.Delay(500);
        pendingAtEnd = await PendingAsync();
    }

    var drainTime = clock.Elapsed;
    var (peak, rss) = host.Memory();

    // One request at a time, as an attacker measures, once the host is quiet again.
    var sequential = sequentialData is { } seq ? await SequentialPhase.RunAsync(host.BaseAddress, seq, settings.Sequential, cancel.Token) : null;

    // Last, the measure the goals were set with (wrk), once the host is quiet: the mail its resends leave, nothing after
    // it waits for.
    WrkPhase.Result? wrkNoop = null, wrkResend = null;
    long wrkFirstUser = 0;
    if (WrkPhase.Available && host.ExitCode is null && !cancel.IsCancellationRequested)
    {
        clock.Restart();
        while (await BacklogAsync() > 0 && host.ExitCode is null && clock.Elapsed < settings.Drain && !cancel.IsCancellationRequested)
        {
            await Task.Delay(100);
        }

        Console.WriteLine($"wrk: GET /healthz/live (no-op) for {settings.Duration.TotalSeconds:0} s ...");
        wrkNoop = await WrkPhase.NoOpAsync(host.BaseAddress, "/healthz/live", settings.Clients, settings.Duration, cancel.Token);
        wrkFirstUser = Interlocked.Read(ref nextPending);
        Console.WriteLine($"wrk: PUT {Cases.Path} (distinct pending users) for {settings.Duration.TotalSeconds:0} s ...");
        wrkResend = await WrkPhase.ResendAsync(host.BaseAddress, Cases.Path, data.OrgId, wrkFirstUser, settings.Clients, settings.Duration, cancel.Token);
    }
    var hostExit = host.ExitCode;
    var hostLog = host.Log.ToList();
    await host.DisposeAsync();
    host = null;
    var outbox = await Seeder.CountOutboxAsync(dbFile);
    var mailFiles = Directory.Exists(Path.Combine(work.FullName, "mail")) ? Directory.GetFiles(Path.Combine(work.FullName, "mail"), "*.eml").Length : 0;

    var report = new Report();
    report.Line(Machine.Describe());
    report.Line($"Settings: {settings.Clients} clients, {settings.Duration.TotalSeconds:0} s per throughput phase, warm-up {settings.Warmup.TotalSeconds:0} s, {data.Pending:N0} pending users, {mix.Count:N0} mixed requests");
    report.Line();
    report.Table(["Phase", "OK", "Failed", "req/s", "p50 ms", "p99 ms"], [
        Row("GET /healthz/live (no-op)", noop),
        Row("GET /healthz (readiness, cached)", health),
        Row($"PUT {Cases.Path} (pending)", resend),
        .. open is null ? Array.Empty<string[]>() : [Row($"PUT {Cases.Path} (pending), open loop at {openRate:N0} req/s", open)],
        Row("Mixed cases (all)", mixed),
    ]);
    if (open is not null)
    {
        report.Line($"Open loop: p99.9 {open.Percentile(99.9):0.0} ms, max {open.Percentile(100):0.0} ms (each latency counted from when the request was due).");
    }

    report.Line();
    if (wrkNoop is not null && wrkResend is not null)
    {
        report.Line($"The same two measured last with wrk (the goals' own measure: one thread, {settings.Clients} connections, {settings.Duration.TotalSeconds:0} s; a closed loop):");
        report.Line();
        report.Table(["Phase (wrk)", "Requests", "Not 2xx", "req/s", "p50 ms", "p99 ms"], [
            .. new[] { wrkNoop, wrkResend }.Select(w => new[] { w.Name, $"{w.Requests:N0}", $"{w.NotOk:N0}", $"{w.PerSecond:N0}", $"{w.P50Ms:0.0}", $"{w.P99Ms:0.0}" }),
        ]);
        report.Line($"Resend / no-op throughput with wrk: {wrkResend.PerSecond / wrkNoop.PerSecond:P1}; socket errors: {wrkNoop.SocketErrors} / {wrkResend.SocketErrors}"
            + (wrkFirstUser + wrkResend.Requests > data.Pending ? $" (the {data.Pending:N0} pending users ran out: the last requests were for unknown users; raise --users)" : ""));
    }
    else
    {
        report.Line($"wrk was not run ({(WrkPhase.Available ? "the run was cut short" : $"{WrkPhase.Executable} is missing: apt-get install wrk")}): the goals' own measure is not in this run.");
    }

    report.Line();
    var medians = Enumerable.Range(0, Cases.Names.Length).Select(c => mixed.Percentile(50, c)).ToArray();
    report.Table(["Mixed case", "OK", "p50 ms", "p99 ms"], Enumerable.Range(0, Cases.Names.Length)
        .Select(c => new[] { Cases.Names[c], $"{mixed.Latencies[c].Count:N0}", $"{medians[c]:0.0}", $"{mixed.Percentile(99, c):0.0}" }));
    report.Line();
    SelfServicePhase.Report(report, selfService);
    report.Line();
    if (sequential is not null)
    {
        SequentialPhase.Report(report, sequential);
        report.Line();
    }

    report.Table(["Figure", "Value"], [
        ["Resend / no-op throughput", $"{resend.Throughput / noop.Throughput:P1}"],
        [$"Mail sent during the {resend.Elapsed.TotalSeconds:0} s resend phase ({(smtp is null ? "pickup folder" : "SMTP, aiosmtpd on loopback")})", $"{sentDuringResend:N0} ({sentDuringResend / resend.Elapsed.TotalSeconds:N0} mails/s, resends {resend.Throughput:N0}/s)"],
        ["Host CPU per request: no-op / resend (including the mail it sent meanwhile)", $"{PerRequest(noopCpu, noop):0} µs / {PerRequest(resendCpu, resend):0} µs"],
        [$"CPU used during the resend phase: host / SMTP server ({Environment.ProcessorCount} cores)", $"{resendCpu.TotalSeconds / resend.Elapsed.TotalSeconds:0.00} / {smtpCpu.TotalSeconds / resend.Elapsed.TotalSeconds:0.00} cores"],
        ["The cores' time the hypervisor took (steal): no-op / resend phase", $"{noopStolen?.ToString("P1") ?? "-"} / {resendStolen?.ToString("P1") ?? "-"}"],
        ["Host garbage collections during the resend phase: generation 0 / 1 / 2", resendGc?.Describe(resend.Elapsed) ?? "- (the host took no diagnostics session)"],
        .. openGc is null ? Array.Empty<string[]>() : [["... during the open loop", openGc.Describe(open!.Elapsed)]],
        ["Backlog after the resend phase (requests not resolved + mail not sent)", $"{backlogAfterResend:N0} ({unresolvedAfterResend:N0} + {unsentAfterResend:N0})"],
        [$"Backlog after {catchUp.TotalSeconds:0.0} s more with no load", $"{backlogAfterCatchUp:N0}"],
        ["Dispatcher rate meanwhile (no load)", $"{sentInCatchUp / catchUp.TotalSeconds:N0} mails/s"],
        ["CPU per mail meanwhile: host / SMTP server", sentInCatchUp == 0 ? "-" : $"{catchUpCpu.TotalMicroseconds / sentInCatchUp:0} µs / {catchUpSmtpCpu.TotalMicroseconds / sentInCatchUp:0} µs"],
        ["Largest difference between case medians", $"{(medians.Max() - medians.Min()) / medians.Min():P1}"],
        ["Host peak memory (VmHWM)", $"{peak:0} MiB"],
        ["Host RSS at end", $"{rss:0} MiB"],
        ["Outbox rows (by status)", string.Join(", ", outbox.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:N0}"))],
        [$"Outbox backlog (Pending) after {drainTime.TotalSeconds:0} s of drain", $"{pendingAtEnd:N0}"],
        ["Mail went to", smtp is null ? "pickup folder (.eml files)" : "SMTP (aiosmtpd on loopback)"],
        [".eml files written", $"{mailFiles:N0}"],
        ["Host log lines (Warning and above)", $"{hostLog.Count:N0}"],
        ["Seeding / host start", $"{seedTime.TotalSeconds:0.0} s / {startTime.TotalSeconds:0.0} s"],
        ["Total run time", $"{total.Elapsed.TotalSeconds:0} s"],
    ]);

    var failures = new[] { ("warm-up", warmup), ("no-op", noop), ("healthz", health), ("resend", resend), ("open loop", open ?? new PhaseResult(1)), ("mixed", mixed), ("self-service", selfService) }
        .Concat(sequential?.Doors.Select(d => ($"one at a time: {d.Door}", d.Result)) ?? [])
        .Where(p => p.Item2.FailureCount > 0).ToList();
    foreach (var w in new[] { wrkNoop, wrkResend }.OfType<WrkPhase.Result>().Where(w => w.NotOk > 0))
    {
        var notOk = new PhaseResult(1);
        notOk.Failures[$"{w.NotOk:N0} answers not 2xx"] = 1;
        failures.Add(($"wrk: {w.Name}", notOk));
    }

    // The goals, read off this run: wrk's figures where it ran (the goals' own measure), the benchmark's own beside them.
    var wrkRan = wrkNoop is not null && wrkResend is not null;
    var ownShare = resend.Throughput / noop.Throughput;
    var share = wrkRan ? wrkResend!.PerSecond / wrkNoop!.PerSecond : ownShare;
    var p99 = wrkRan ? wrkResend!.P99Ms : resend.Percentile(99);
    var mailCleared = backlogAfterCatchUp == 0 && catchUp <= Goals.MailCatchUp;
    Goals.Report(report, [
        ($"SQLite: resend at least {Goals.SqliteShare:P0} of the no-op ({(wrkRan ? "wrk; the benchmark's own load generator" : "the benchmark's own load generator: wrk did not run")})",
            wrkRan ? $"{share:P1}; {ownShare:P1}" : $"{share:P1}", share >= Goals.SqliteShare),
        ($"SQLite: p99 under {Goals.SqliteP99Ms:0} ms at {settings.Clients} clients ({(wrkRan ? "wrk; the own load generator" : "the own load generator")})",
            wrkRan ? $"{p99:0.0} ms; {resend.Percentile(99):0.0} ms" : $"{p99:0.0} ms", p99 < Goals.SqliteP99Ms),
        ("0 errors", failures.Count == 0 ? "0" : $"errors in {failures.Count} phase(s), listed below", failures.Count == 0),
        ($"Mail: the backlog of the {resend.Elapsed.TotalSeconds:0} s resend phase gone within {Goals.MailCatchUp.TotalSeconds:0} s more",
            backlogAfterCatchUp == 0 ? $"gone within {catchUp.TotalSeconds:0.0} s" : $"{backlogAfterCatchUp:N0} left after {catchUp.TotalSeconds:0.0} s", mailCleared),
        ($"Memory: host RSS under {Goals.RssMB:0} MB at the end", $"{Goals.MB(rss):0} MB ({rss:0} MiB)", Goals.MB(rss) < Goals.RssMB),
    ]);

    if (resend.Exhausted)
    {
        report.Line();
        report.Line($"Note: the {data.Pending:N0} pending users ran out after {resend.Elapsed.TotalSeconds:0.0} s; raise --users for a full-length run.");
    }

    if (hostExit is { } code)
    {
        report.Line();
        report.Line($"!!!!!!!!!! THE HOST EXITED DURING THE RUN (exit code {code}) !!!!!!!!!!");
    }

    if (cancel.IsCancellationRequested)
    {
        report.Line();
        report.Line("!!!!!!!!!! INTERRUPTED: THE FIGURES ARE INCOMPLETE !!!!!!!!!!");
    }

    if (failures.Count > 0)
    {
        report.Line();
        report.Line("!!!!!!!!!! THIS RUN HAD ERRORS: ITS FIGURES DO NOT COUNT !!!!!!!!!!");
        foreach (var (phase, result) in failures)
        {
            report.Line($"  {phase}: {string.Join(", ", result.Failures.Select(kv => $"{kv.Key} x{kv.Value:N0}"))}");
        }
    }

    if (hostLog.Count > 0)
    {
        report.Line();
        report.Line("Host log (first lines):");
        foreach (var line in hostLog.Take(20))
        {
            report.Line($"  {line}");
        }
    }

    Console.WriteLine();
    Console.Write(report);
    return failures.Count > 0 || hostExit is not null || cancel.IsCancellationRequested || scaleExit != 0 ? 1 : 0;

    async Task<long> PendingAsync() => (await Seeder.CountOutboxAsync(dbFile)).GetValueOrDefault("Pending");
    async Task<long> SentAsync() => (await Seeder.CountOutboxAsync(dbFile)).GetValueOrDefault("Sent");
    async Task<long> BacklogAsync() => await PendingAsync() + await Seeder.CountPublicRequestsAsync(dbFile);
}
finally
{
    if (host is not null)
    {
        await host.DisposeAsync();
    }

    if (smtp is not null)
    {
        await smtp.DisposeAsync();
    }

    SqliteConnection.ClearAllPools();
    work.Delete(recursive: true);
}

// The host's CPU time for a phase divided by the requests it answered, in microseconds.
static double PerRequest(TimeSpan cpu, PhaseResult r) => r.Requests == 0 ? double.NaN : cpu.TotalMicroseconds / r.Requests;

static string[] Row(string name, PhaseResult r) =>
    [name, $"{r.Requests:N0}", $"{r.FailureCount:N0}", $"{r.Throughput:N0}", $"{r.Percentile(50):0.0}", $"{r.Percentile(99):0.0}"];

namespace RegistrationPortal.Benchmarks
{
    /// <summary>The cases of the public resend door that must look alike from outside.</summary>
    internal static class Cases
    {
        public const string Path = "/auth/registration/code";

        public static readonly string[] Names = ["pending", "registered", "deactivated", "unknown user", "unknown org"];

        public static readonly byte[] Success = """{"message":"success"}"""u8.ToArray();

        private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

        public static byte[] Body(string username, string orgId) => JsonSerializer.SerializeToUtf8Bytes(new ResendBody(username, orgId), Web);

        /// <summary><paramref name="perCase"/> requests of each case, each with its own username, in random order.</summary>
        public static List<Probe> Shuffled(TestData data, int perCase)
        {
            if (perCase > data.Registered || perCase > data.Deactivated || perCase > data.Pending)
            {
                throw new ArgumentException($"--mixed allows at most {Math.Min(data.Registered, data.Deactivated) * Names.Length} requests with this data.");
            }

            var probes = new List<Probe>(perCase * Names.Length);
            for (var i = 0; i < perCase; i++)
            {
                probes.Add(Make(0, TestData.PendingEmail(i), data.OrgId));
                probes.Add(Make(1, TestData.RegisteredEmail(i), data.OrgId));
                probes.Add(Make(2, TestData.DeactivatedEmail(i), data.OrgId));
                probes.Add(Make(3, $"unknown-{i}@bench.example", data.OrgId));
                probes.Add(Make(4, $"nobody-{i}@bench.example", Ids.New(Ids.Organization)));
            }

            var array = probes.ToArray();
            Random.Shared.Shuffle(array);
            return [.. array];

            static Probe Make(int @case, string username, string orgId) => new(@case, HttpMethod.Put, Path, Body(username, orgId));
        }

        private sealed record ResendBody(string Username, string OrgId);
    }

    /// <summary>A markdown-style plain-text report.</summary>
    internal sealed class Report
    {
        private readonly StringBuilder _text = new();

        public void Line(string text = "") => _text.AppendLine(text);

        public void Table(string[] header, IEnumerable<string[]> rows)
        {
            var all = rows.Prepend(header).ToList();
            var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
            string Format(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |";
            _text.AppendLine(Format(header));
            _text.AppendLine("|" + string.Join("|", widths.Select((w, i) => i == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
            foreach (var row in all.Skip(1))
            {
                _text.AppendLine(Format(row));
            }
        }

        public override string ToString() => _text.ToString();
    }

    /// <summary>Command-line settings and where the host's build lives.</summary>
    internal sealed record Settings(int Users, int Others, int Mixed, int Clients, TimeSpan Duration, TimeSpan Warmup, TimeSpan Drain)
    {
        /// <summary>Users of the large organization of the scale phase (0 skips the search timings).</summary>
        public int SearchUsers { get; init; }

        /// <summary>Users of the small organization the large one is compared with.</summary>
        public int SearchSmall { get; init; }

        /// <summary>Timed runs per query (the median is reported).</summary>
        public int SearchRuns { get; init; }

        /// <summary>Pending users resent in one bulk job (0 skips it).</summary>
        public int BulkUsers { get; init; }

        /// <summary>
        /// Pending users seeded for each run of the provider benchmark: <c>--users</c> when given, else
        /// <see cref="ProviderDefaultUsers"/>. A run resends to each user once, through the warm-up and the phase.
        /// </summary>
        public int ProviderUsers { get; init; }

        /// <summary>
        /// Enough for the longest warm-up and then the phase: two hosts on two cores still recompiled 58 methods a second each
        /// when 100,000 users ran out after 28 s of warm-up, and their JIT was then a seventh of their CPU in the phase.
        /// </summary>
        public const int ProviderDefaultUsers = 250_000;

        /// <summary>How many times the provider benchmark runs its PostgreSQL pair (one host, then several), alternating.</summary>
        public int Repeat { get; init; } = 1;

        /// <summary>Whether the scale phase prints each query's plan.</summary>
        public bool Plans { get; init; }

        /// <summary>
        /// <c>--provider Postgres</c>: instead of the phases below, resend throughput on SQLite with one host beside
        /// PostgreSQL with one host and with <see cref="Instances"/> hosts on one database.
        /// </summary>
        public DatabaseProvider Provider { get; init; } = DatabaseProvider.Sqlite;

        /// <summary>Hosts sharing the PostgreSQL database in the scale-out run (1 leaves it out).</summary>
        public int Instances { get; init; } = 2;

        /// <summary>Requests per case in the one-at-a-time phase of each public door (0 skips it).</summary>
        public int Sequential { get; init; }

        /// <summary>Whether the HTTP phases (healthz, resend, mixed cases) run.</summary>
        public bool Http { get; init; } = true;

        /// <summary>Whether the host sends its mail to an SMTP server on loopback (aiosmtpd) rather than a pickup folder.</summary>
        public bool Smtp { get; init; } = true;

        /// <summary>The open-loop phase's rate as a fraction of the closed loop's resend throughput (0 skips it).</summary>
        public double Open { get; init; }

#if DEBUG
        public const string Configuration = "Debug";
#else
        public const string Configuration = "Release";
#endif

        public static Settings Parse(string[] args)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["--users"] = 100_000,
                ["--others"] = 3_000,
                ["--mixed"] = 5_000,
                ["--sequential"] = 1_000,
                ["--clients"] = 64,
                ["--duration"] = 10,
                ["--warmup"] = 3,
                ["--drain"] = 10,
                ["--search-users"] = 1_000_000,
                ["--search-small"] = 10_000,
                ["--search-runs"] = 9,
                ["--bulk-users"] = 10_000,
                ["--http"] = 1,
                ["--plans"] = 0,
                ["--instances"] = 2,
                ["--repeat"] = 1,
                ["--open"] = 0.5,
            };
            var given = new HashSet<string>(StringComparer.Ordinal);
            var smtp = true;
            var provider = DatabaseProvider.Sqlite;
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--mail")
                {
                    smtp = i + 1 < args.Length && args[i + 1] is "smtp" or "pickup"
                        ? args[++i] == "smtp"
                        : throw new ArgumentException("--mail takes smtp or pickup.");
                    continue;
                }

                if (args[i] == "--provider")
                {
                    if (i + 1 >= args.Length || !Enum.TryParse(args[i + 1], ignoreCase: true, out provider) || !Enum.IsDefined(provider))
                    {
                        throw new ArgumentException("--provider takes Sqlite or Postgres.");
                    }

                    i++;
                    continue;
                }

                if (!values.ContainsKey(args[i]) || i + 1 >= args.Length || !double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) || value < 0)
                {
                    throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'. Known: {string.Join(", ", values.Keys)} (each followed by a number).");
                }

                given.Add(args[i]);
                values[args[i++]] = value;
            }

            return new Settings(
                (int)values["--users"], (int)values["--others"], (int)values["--mixed"], Math.Max(1, (int)values["--clients"]),
                TimeSpan.FromSeconds(values["--duration"]), TimeSpan.FromSeconds(values["--warmup"]), TimeSpan.FromSeconds(values["--drain"]))
            {
                SearchUsers = (int)values["--search-users"],
                SearchSmall = Math.Max(1, (int)values["--search-small"]),
                SearchRuns = Math.Max(1, (int)values["--search-runs"]),
                BulkUsers = (int)values["--bulk-users"],
                ProviderUsers = given.Contains("--users") ? (int)values["--users"] : ProviderDefaultUsers,
                Http = values["--http"] != 0,
                Sequential = Math.Max(0, (int)values["--sequential"]),
                Plans = values["--plans"] != 0,
                Provider = provider,
                Instances = Math.Max(1, (int)values["--instances"]),
                Repeat = Math.Max(1, (int)values["--repeat"]),
                Smtp = smtp,
                Open = values["--open"],
            };
        }

        public static string FindRepositoryRoot()
        {
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(System.IO.Path.Combine(dir.FullName, "RegistrationPortal.sln")))
                    {
                        return dir.FullName;
                    }
                }
            }

            throw new InvalidOperationException($"{"RegistrationPortal.sln"} not found above {Environment.CurrentDirectory}.");
        }

        /// <summary>The web project's build output for this configuration; built first when missing.</summary>
        public static async Task<string> EnsureWebBuiltAsync(string root)
        {
            var project = System.IO.Path.Combine(root, "src", "RegistrationPortal.Web");
            var dll = System.IO.Path.Combine(project, "bin", Configuration, "net10.0", "RegistrationPortal.Web.dll");
            if (File.Exists(dll))
            {
                return dll;
            }

            Console.WriteLine($"Building {project} ({Configuration}) ...");
            using var build = Process.Start("dotnet", ["build", "-c", Configuration, "--nologo", "-v", "q", project]);
            await build.WaitForExitAsync();
            return build.ExitCode == 0 && File.Exists(dll) ? dll : throw new InvalidOperationException($"Building {project} failed.");
        }
    }
}
