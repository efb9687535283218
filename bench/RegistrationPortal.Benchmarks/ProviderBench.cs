using System.Diagnostics;
using Npgsql;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// <c>--provider Postgres</c>: the resend door's throughput and p99 on SQLite with one host (the baseline), on PostgreSQL
/// with one host, and on PostgreSQL with <c>--instances</c> hosts sharing one database (the load spread evenly over
/// them), each host its own process on its own port, one after the other on the same machine, printed side by side.
/// PostgreSQL is the server named by <c>PORTAL_BENCH_POSTGRES</c> (an admin connection string; each run gets a new
/// database in it), or else a throwaway cluster started with scripts/postgres-cluster.sh, with fsync on.
/// </summary>
internal static class ProviderBench
{
    public const string ServerVariable = "PORTAL_BENCH_POSTGRES";

    private sealed record Run(string Name, DatabaseProvider Provider, int Instances);

    private sealed record Outcome(Run Run, PhaseResult Resend, int HostLogLines, int? HostExit, Cpu Cpu, long Waiting, double Resolved, double Mailed, Warmup Warmup);

    /// <summary>
    /// How long the run warmed up, and the methods each host's JIT compiled a second during the measured phase (null when
    /// a host took no diagnostics session).
    /// </summary>
    private sealed record Warmup(TimeSpan Took, double? JitDuringPhase, bool UsersRanShort)
    {
        public string Describe() => $"{Took.TotalSeconds:0} s; {(JitDuringPhase is { } jit ? $"{jit:N0}" : "-")}";
    }

    /// <summary>
    /// After the fixed warm-up the resends go on until each host's JIT compiles fewer methods than this in a second (a new
    /// host recompiles thousands of hot methods in its first seconds under load, on the cores the requests need), for at
    /// most <see cref="MaxSettle"/>, and never into the users the phase needs.
    /// </summary>
    private const int JitSettled = 20;

    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(60);

    /// <summary>
    /// CPU time used during the measured phase: by the hosts, by the benchmark (the load), by everything else (the
    /// database server); and the share of the cores' time the hypervisor took meanwhile.
    /// </summary>
    private sealed record Cpu(TimeSpan Hosts, TimeSpan Load, TimeSpan Rest, long[] Mark, double? Stolen = null)
    {
        public static Cpu Now(List<HostRunner> hosts)
        {
            var load = Process.GetCurrentProcess().TotalProcessorTime;
            var own = hosts.Aggregate(TimeSpan.Zero, (sum, h) => sum + h.CpuTime);
            return new Cpu(own, load, Machine.BusyTime() - own - load, Machine.Mark());
        }

        public Cpu Since(Cpu start) => new(Hosts - start.Hosts, Load - start.Load, Rest - start.Rest, Mark, Machine.StolenBetween(start.Mark, Mark));

        public string PerRequest(int requests) =>
            requests == 0 ? "-" : $"{Hosts.TotalMicroseconds / requests:0} / {Rest.TotalMicroseconds / requests:0} / {Load.TotalMicroseconds / requests:0}; {Stolen?.ToString("P1") ?? "-"}";
    }

    public static async Task<int> RunAsync(Settings settings, string webDll, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var root = Settings.FindRepositoryRoot();
        var work = Directory.CreateTempSubdirectory("regportal-providers-");
        string? clusterDir = null;
        SmtpSink? smtp = null;
        try
        {
            // The hosts' mail goes where production's does, to an SMTP server (the main benchmark's; --mail pickup writes
            // .eml files instead, each a new file, which cost the host more than the SMTP conversation on this machine).
            smtp = settings.Smtp ? await SmtpSink.StartAsync(TimeSpan.FromSeconds(30)) : null;
            var server = Environment.GetEnvironmentVariable(ServerVariable);
            if (string.IsNullOrWhiteSpace(server))
            {
                // A folder of its own under the temporary folder: the server's user must be able to reach it.
                clusterDir = Directory.CreateTempSubdirectory("regportal-bench-pg-").FullName;
                server = await ClusterAsync(root, "start", clusterDir);
                Console.WriteLine($"Started a throwaway PostgreSQL cluster: {server}");
            }

            // The PostgreSQL runs alternate, --repeat times: the machine's speed swings by a quarter between runs, and a
            // comparison of one host with several is fairer between neighbours, and fairer still over several pairs.
            var runs = new List<Run> { new("SQLite, 1 instance", DatabaseProvider.Sqlite, 1) };
            for (var pair = 1; pair <= settings.Repeat; pair++)
            {
                var tag = settings.Repeat > 1 ? $" #{pair}" : "";
                runs.Add(new($"PostgreSQL, 1 instance{tag}", DatabaseProvider.Postgres, 1));
                if (settings.Instances > 1)
                {
                    runs.Add(new($"PostgreSQL, {settings.Instances} instances{tag}", DatabaseProvider.Postgres, settings.Instances));
                }
            }

            var outcomes = new List<Outcome>();
            foreach (var run in runs)
            {
                if (ct.IsCancellationRequested)
                {
                    break;
                }

                outcomes.Add(await MeasureAsync(run, settings, webDll, work.FullName, server, smtp?.Port, ct));
            }

            // The anchor: what the same cluster does with pgbench's simple-update script (five statements a transaction,
            // prepared), from as many clients, for as long, in the same run.
            var pgbench = ct.IsCancellationRequested ? null : await PgbenchAsync(server, settings, ct);

            var report = new Report();
            report.Line(Machine.Describe());
            report.Line($"Settings: {settings.Clients} clients in all, {settings.Duration.TotalSeconds:0} s of PUT {Cases.Path} per run (distinct pending users), warm-up {settings.Warmup.TotalSeconds:0} s, {settings.ProviderUsers:N0} pending users seeded per run, mail {(settings.Smtp ? "to SMTP on loopback (aiosmtpd)" : "to the pickup folder")}");
            report.Line();
            var baseline = outcomes.FirstOrDefault();
            report.Table(["Run", "OK", "Failed", "req/s", "p50 ms", "p99 ms", "req/s vs SQLite", "p99 vs SQLite", "resolved req/s", "waiting at the end", "mails sent a second", "CPU µs per request: hosts / rest / load; stolen", "warm-up; methods compiled a second a host"], outcomes.Select(o =>
                new[]
                {
                    o.Run.Name, $"{o.Resend.Requests:N0}", $"{o.Resend.FailureCount:N0}", $"{o.Resend.Throughput:N0}",
                    $"{o.Resend.Percentile(50):0.0}", $"{o.Resend.Percentile(99):0.0}",
                    $"{o.Resend.Throughput / baseline!.Resend.Throughput:0.00}x", $"{o.Resend.Percentile(99) / baseline.Resend.Percentile(99):0.00}x",
                    $"{o.Resolved:N0}", $"{o.Waiting:N0}", $"{o.Mailed:N0}", o.Cpu.PerRequest(o.Resend.Requests), o.Warmup.Describe(),
                }));
            report.Line("A door answers once it has recorded the request; the hosts then resolve it (issue the code, queue the mail). Resolved");
            report.Line("req/s is how many they resolved a second during the phase, and waiting how many recorded requests were left: a door");
            report.Line("faster than its resolving only borrows against the backlog, and so does mail sent slower than the requests are resolved.");
            report.Line("CPU per request, during the phase: the hosts' processes; the rest of the machine (the database server, the SMTP server,");
            report.Line("anything else running); the load generator (this benchmark); and the share of the cores' time the hypervisor took (steal).");
            report.Line($"Each run warms up {settings.Warmup.TotalSeconds:0} s, then resends on until each host's JIT compiles fewer than {JitSettled} methods a second");
            report.Line($"(at most {MaxSettle.TotalSeconds:0} s, and never into the users the phase needs); the last column is the methods each host still compiled a second");
            report.Line("during the phase: a host's first seconds under load recompile its hot methods, on the same cores.");
            report.Line("Before the phase the PostgreSQL database is analyzed, as autovacuum does within a minute on a running one: the phase");
            report.Line("measures hosts on a database with statistics, as pgbench's own is after pgbench -i.");
            report.Line();
            var onePostgres = outcomes.Where(o => o.Run.Provider == DatabaseProvider.Postgres && o.Run.Instances == 1).ToList();
            var manyPostgres = outcomes.Where(o => o.Run.Provider == DatabaseProvider.Postgres && o.Run.Instances > 1).ToList();
            var pairs = onePostgres.Zip(manyPostgres).ToList();
            report.Table(["Figure", "Value"], [
                ["pgbench -N on the same cluster (tps)", pgbench is { } tps ? $"{tps:N0} ({settings.Clients} clients, {settings.Duration.TotalSeconds:0} s, prepared)" : "not run"],
                ["PostgreSQL, 1 instance / pgbench -N: answered, resolved", onePostgres.Count > 0 && pgbench is { } a
                    ? $"{Ratios(onePostgres.Select(o => o.Resend.Throughput / a), "P1")}; {Ratios(onePostgres.Select(o => o.Resolved / a), "P1")}"
                    : "-"],
                [$"PostgreSQL, {settings.Instances} instances / 1 instance: answered, resolved", pairs.Count > 0
                    ? $"{Ratios(pairs.Select(p => p.Second.Resend.Throughput / p.First.Resend.Throughput), "0.00x")}; {Ratios(pairs.Select(p => p.Second.Resolved / p.First.Resolved), "0.00x")}"
                    : "-"],
                [$"PostgreSQL, {settings.Instances} instances / 1 instance: mails sent a second", pairs.Count > 0
                    ? Ratios(pairs.Select(p => p.Second.Mailed / p.First.Mailed), "0.00x")
                    : "-"],
            ]);
            if (settings.Repeat > 1)
            {
                report.Line("With --repeat, each figure is given for every run (or pair, a run beside the one after it) and then their median.");
            }

            // The goals, on the medians when there are several runs.
            var bad = outcomes.Where(o => o.Resend.FailureCount > 0 || o.HostExit is not null).ToList();
            double? shareOfPgbench = onePostgres.Count > 0 && pgbench is { } anchor ? Median(onePostgres.Select(o => o.Resolved / anchor)) : null;
            double? manyOverOne = pairs.Count > 0 ? Median(pairs.Select(p => p.Second.Resolved / p.First.Resolved)) : null;
            var median = settings.Repeat > 1 ? " (median)" : "";
            Goals.Report(report, [
                ($"PostgreSQL: one host resolves at least {Goals.PostgresShare:P0} of pgbench -N", shareOfPgbench is { } s ? $"{s:P1}{median}" : "-", shareOfPgbench is { } s2 ? s2 >= Goals.PostgresShare : null),
                ($"PostgreSQL: {settings.Instances} hosts on one database resolve at least as much as one", manyOverOne is { } m ? $"{m:0.00}x{median}" : "-", manyOverOne is { } m2 ? m2 >= 1 : null),
                ("0 errors", bad.Count == 0 ? "0" : $"errors in {bad.Count} run(s), listed below", bad.Count == 0),
            ]);

            report.Line();
            report.Line($"Total run time {total.Elapsed.TotalSeconds:0} s.");

            foreach (var o in outcomes.Where(o => o.Warmup.UsersRanShort))
            {
                report.Line($"Note: {o.Run.Name} stopped warming up after {o.Warmup.Took.TotalSeconds:0} s to keep the phase's users, before its JIT settled; raise --users.");
            }

            foreach (var o in outcomes.Where(o => o.Resend.Exhausted))
            {
                report.Line($"Note: {o.Run.Name} ran out of pending users after {o.Resend.Elapsed.TotalSeconds:0.0} s; raise --users for a full-length run.");
            }

            if (bad.Count > 0)
            {
                report.Line();
                report.Line("!!!!!!!!!! THIS RUN HAD ERRORS: ITS FIGURES DO NOT COUNT !!!!!!!!!!");
                foreach (var o in bad)
                {
                    report.Line($"  {o.Run.Name}: {string.Join(", ", o.Resend.Failures.Select(kv => $"{kv.Key} x{kv.Value:N0}"))}{(o.HostExit is { } code ? $", a host exited with {code}" : "")}");
                }
            }

            if (ct.IsCancellationRequested)
            {
                report.Line();
                report.Line("!!!!!!!!!! INTERRUPTED: THE FIGURES ARE INCOMPLETE !!!!!!!!!!");
            }

            Console.WriteLine();
            Console.Write(report);
            return bad.Count > 0 || ct.IsCancellationRequested || outcomes.Count < runs.Count ? 1 : 0;
        }
        finally
        {
            if (smtp is not null)
            {
                await smtp.DisposeAsync();
            }

            if (clusterDir is not null)
            {
                await ClusterAsync(root, "stop", clusterDir);
                Directory.Delete(clusterDir, recursive: true);
            }

            work.Delete(recursive: true);
        }
    }

    private static async Task<Outcome> MeasureAsync(Run run, Settings settings, string webDll, string work, string server, int? smtpPort, CancellationToken ct)
    {
        var runDir = Directory.CreateDirectory(Path.Combine(work, $"run-{Guid.NewGuid():N}")).FullName;
        var database = $"regportal_bench_{Guid.NewGuid():N}";
        var file = Path.Combine(runDir, "portal.db");
        var connectionString = run.Provider == DatabaseProvider.Sqlite ? $"Data Source={file}" : await CreateDatabaseAsync(server, database);
        var hosts = new List<HostRunner>();
        var clients = new List<HttpClient>();
        try
        {
            var clock = Stopwatch.StartNew();
            var data = run.Provider == DatabaseProvider.Sqlite
                ? await Seeder.SeedAsync(file, settings.ProviderUsers, 0, 0)
                : await Seeder.SeedAsync(run.Provider, connectionString, settings.ProviderUsers, 0, 0);
            Console.WriteLine($"{run.Name}: seeded {data.Pending:N0} pending users in {clock.Elapsed.TotalSeconds:0.0} s");

            // Started together on the seeded database, as a rolling deployment's hosts would be.
            var hostSettings = SharedMachine(run.Instances);
            var started = await Task.WhenAll(Enumerable.Range(0, run.Instances).Select(i =>
                HostRunner.StartAsync(webDll, Directory.CreateDirectory(Path.Combine(runDir, $"host{i}")).FullName, run.Provider, connectionString, TimeSpan.FromSeconds(120), smtpPort, hostSettings)));
            hosts.AddRange(started);
            var perHost = Math.Max(1, settings.Clients / run.Instances);
            foreach (var host in hosts)
            {
                clients.Add(new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = perHost, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
                {
                    BaseAddress = host.BaseAddress,
                    Timeout = TimeSpan.FromSeconds(60),
                });
            }

            // One sequence of users for all hosts: each user is resent once, by whichever host gets it.
            long next = 0;
            Probe? Resend(long _) =>
                Interlocked.Increment(ref next) - 1 is var i && i < data.Pending
                    ? new Probe(0, HttpMethod.Put, Cases.Path, Cases.Body(TestData.PendingEmail(i), data.OrgId))
                    : null;
            static Probe Health(long _) => new(0, HttpMethod.Get, "/healthz");

            Console.WriteLine($"{run.Name}: warm-up {settings.Warmup.TotalSeconds:0} s and on until the hosts' JIT settles, then PUT {Cases.Path} for {settings.Duration.TotalSeconds:0} s ...");
            var warming = Stopwatch.StartNew();
            await AllAsync(clients, perHost, Health, settings.Warmup / 2, null, ct);
            var fastest = (await AllAsync(clients, perHost, Resend, settings.Warmup / 2, Cases.Success, ct)).Throughput;
            var watches = hosts.Select(h => JitWatch.Start(h.ProcessId)).ToList();
            try
            {
                // The phase's users are kept back: twice what the fastest second of the warm-up would take in the phase.
                while (watches.All(w => w is not null) && warming.Elapsed < MaxSettle && data.Pending - Interlocked.Read(ref next) > Reserve())
                {
                    var compiled = Compiled();
                    var slice = await AllAsync(clients, perHost, Resend, TimeSpan.FromSeconds(1), Cases.Success, ct);
                    fastest = Math.Max(fastest, slice.Throughput);
                    if (CompiledPerHost(compiled, slice.Elapsed) < JitSettled)
                    {
                        break;
                    }
                }

                var took = warming.Elapsed;
                var usersRanShort = data.Pending - Interlocked.Read(ref next) <= Reserve();
                if (run.Provider == DatabaseProvider.Postgres)
                {
                    await AnalyzeAsync(connectionString);
                }

                Console.WriteLine($"{run.Name}: warmed up in {took.TotalSeconds:0} s; measuring {settings.Duration.TotalSeconds:0} s ...");
                var jitBefore = Compiled();
                var waitingBefore = await UnresolvedAsync();
                var sentBefore = await SentAsync();
                var before = Cpu.Now(hosts);
                var resend = await AllAsync(clients, perHost, Resend, settings.Duration, Cases.Success, ct);
                var cpu = Cpu.Now(hosts).Since(before);
                var jit = watches.All(w => w is not null) ? CompiledPerHost(jitBefore, resend.Elapsed) : (double?)null;
                var waiting = await UnresolvedAsync();
                var mailed = (await SentAsync() - sentBefore) / resend.Elapsed.TotalSeconds;
                var resolved = (waitingBefore + resend.Requests - waiting) / resend.Elapsed.TotalSeconds;
                Console.WriteLine($"{run.Name}: {resend.Throughput:N0} req/s, p99 {resend.Percentile(99):0.0} ms, {resend.FailureCount:N0} failed; {resolved:N0} resolved a second, {waiting:N0} waiting at the end; {mailed:N0} mails sent a second");
                return new Outcome(run, resend, hosts.Sum(h => h.Log.Count), hosts.Select(h => h.ExitCode).FirstOrDefault(c => c is not null), cpu, waiting, resolved, mailed, new Warmup(took, jit, usersRanShort));

                long Compiled() => watches.Sum(w => w?.Compiled ?? 0);

                long Reserve() => (long)(2 * fastest * settings.Duration.TotalSeconds);

                // Methods each host compiled a second since the count was `since`.
                double CompiledPerHost(long since, TimeSpan over) => (Compiled() - since) / over.TotalSeconds / hosts.Count;
            }
            finally
            {
                foreach (var watch in watches)
                {
                    if (watch is not null)
                    {
                        await watch.StopAsync();
                    }
                }
            }

            // What the run's database holds, read beside the hosts (SQLite: read-only, WAL).
            async Task<long> SentAsync() => run.Provider == DatabaseProvider.Sqlite
                ? (await Seeder.CountOutboxAsync(file)).GetValueOrDefault("Sent")
                : (long)(await StatementAsync(connectionString, """SELECT COUNT(*) FROM "OutboxMessages" WHERE "Status" = 'Sent'"""))!;

            async Task<long> UnresolvedAsync() => run.Provider == DatabaseProvider.Sqlite
                ? await Seeder.CountPublicRequestsAsync(file)
                : (long)(await StatementAsync(connectionString, """SELECT COUNT(*) FROM "PublicRequests" """))!;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            if (run.Provider == DatabaseProvider.Postgres)
            {
                await DropDatabaseAsync(server, database);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>The figures, in run order, and their median when there are several: "0.83x, 1.07x (median 0.95x)".</summary>
    private static string Ratios(IEnumerable<double> values, string format)
    {
        var all = values.ToList();
        var text = string.Join(", ", all.Select(v => v.ToString(format)));
        return all.Count < 2 ? text : $"{text} (median {Median(all).ToString(format)})";
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// Several hosts on one machine share its cores, so they share its mail senders too: each gets its share of the senders
    /// one host has (docs/deployment.md). The machine then sends with as many at once as it does with one host, and the
    /// mail takes no more of the cores the doors need.
    /// </summary>
    private static Dictionary<string, string>? SharedMachine(int instances)
    {
        if (instances == 1 || Environment.GetEnvironmentVariable("PORTAL_BENCH_SPLIT_SENDERS") == "0")
        {
            return null;
        }

        var defaults = new RegistrationPortal.Web.Features.Email.EmailOptions();
        return new()
        {
            ["Email__Senders"] = $"{Math.Max(1, defaults.Senders / instances)}",
            ["Email__SendersUnderLoad"] = $"{Math.Max(1, defaults.SendersUnderLoad / instances)}",
        };
    }

    /// <summary>One closed loop per host at once (the run's clients split evenly), measured as one phase.</summary>
    private static async Task<PhaseResult> AllAsync(List<HttpClient> clients, int perHost, Func<long, Probe?> next, TimeSpan duration, byte[]? expected, CancellationToken ct)
    {
        var parts = await Task.WhenAll(clients.Select(client => LoadGenerator.RunAsync(client, perHost, 1, next, duration, expected, ct)));
        var all = new PhaseResult(1) { Elapsed = parts.Max(p => p.Elapsed), Exhausted = parts.Any(p => p.Exhausted) };
        foreach (var part in parts)
        {
            all.Add(part);
        }

        all.Latencies[0].Sort();
        return all;
    }

    /// <summary>
    /// Runs <c>pgbench -N</c> (TPC-B without the two contended updates) against a new database of the same server and
    /// returns its transactions a second (without connection time); null when pgbench is not installed.
    /// </summary>
    private static async Task<double?> PgbenchAsync(string server, Settings settings, CancellationToken ct)
    {
        var pgbench = FindPgbench();
        if (pgbench is null)
        {
            Console.WriteLine("pgbench not found (Debian: apt-get install postgresql); the anchor is left out.");
            return null;
        }

        var name = $"regportal_pgbench_{Guid.NewGuid():N}";
        var connection = new NpgsqlConnectionStringBuilder(await CreateDatabaseAsync(server, name));
        try
        {
            Console.WriteLine($"pgbench -N: {settings.Clients} clients for {settings.Duration.TotalSeconds:0} s ...");
            await RunAsync(pgbench, ["-i", "-q", "-s", "10"], ct);
            var output = await RunAsync(pgbench, ["-N", "-M", "prepared", "-c", $"{settings.Clients}", "-j", "2", "-T", $"{(int)settings.Duration.TotalSeconds}"], ct);
            var match = System.Text.RegularExpressions.Regex.Match(output, @"tps = ([0-9.]+) \(without initial connection time\)");
            return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : throw new InvalidOperationException($"pgbench printed no tps: {output}");
        }
        finally
        {
            await DropDatabaseAsync(server, name);
        }

        async Task<string> RunAsync(string program, string[] arguments, CancellationToken token)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments.Concat(["-h", connection.Host!, "-p", $"{connection.Port}", "-U", connection.Username!, name]))
            {
                start.ArgumentList.Add(argument);
            }

            if (!string.IsNullOrEmpty(connection.Password))
            {
                start.Environment["PGPASSWORD"] = connection.Password;
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run pgbench.");
            var output = process.StandardOutput.ReadToEndAsync(token);
            var error = process.StandardError.ReadToEndAsync(token);
            await process.WaitForExitAsync(token);
            return process.ExitCode == 0 ? await output + await error : throw new InvalidOperationException($"pgbench failed: {await error}");
        }
    }

    private static string? FindPgbench()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "pgbench")).FirstOrDefault(File.Exists);
        return onPath ?? (Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", "pgbench")).FirstOrDefault(File.Exists)
            : null);
    }

    /// <summary>
    /// Gives the run's database the statistics a running one has: autovacuum analyzes a table once it has changed by a
    /// tenth, but looks at a database once a minute, and the run's is younger than that. The tables the doors fill
    /// (codes, outbox, requests) were empty when the seeder analyzed the database; without statistics on them PostgreSQL
    /// reads the whole codes table for each batch of requests resolved (and kept plans that walked every pending message
    /// to claim one, while the claim named more than its key), and whether autovacuum came by during the phase decided
    /// the figures. pgbench's own database is vacuumed and analyzed by <c>pgbench -i</c>.
    /// </summary>
    private static async Task AnalyzeAsync(string connectionString) => await StatementAsync(connectionString, "ANALYZE");

    private static async Task DropDatabaseAsync(string server, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await StatementAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private static async Task<string> CreateDatabaseAsync(string server, string name)
    {
        await StatementAsync(server, $"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Runs one statement on a connection of its own (closed after it) and returns its first value, if any.</summary>
    private static async Task<object?> StatementAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 120 };
        return await command.ExecuteScalarAsync(CancellationToken.None);
    }

    /// <summary>Runs scripts/postgres-cluster.sh (with fsync on, as a real server runs) and returns what it printed.</summary>
    private static async Task<string> ClusterAsync(string root, string verb, string dir)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(root, "scripts", "postgres-cluster.sh"));
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(dir);
        start.Environment["PGCLUSTER_DURABLE"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run scripts/postgres-cluster.sh.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? (await output).Trim()
            : throw new InvalidOperationException($"scripts/postgres-cluster.sh {verb} failed: {await error}");
    }
}
