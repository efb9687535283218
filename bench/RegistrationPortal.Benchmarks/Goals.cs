namespace RegistrationPortal.Benchmarks;

/// <summary>
/// The throughput goals the benchmark was written for, each with this run's figure and whether the run met it, so a run
/// reads as a verdict and not only as figures (docs/benchmarks.md, "Where the goals stand", keeps them across runs).
/// </summary>
internal static class Goals
{
    /// <summary>The doors' share of the no-op's rate that the SQLite goal asks for.</summary>
    public const double SqliteShare = 0.10;

    /// <summary>The closed loop's p99 the SQLite goal asks for, in ms.</summary>
    public const double SqliteP99Ms = 50;

    /// <summary>How long after a phase its backlog (requests and mail) may take to clear.</summary>
    public static readonly TimeSpan MailCatchUp = TimeSpan.FromSeconds(10);

    /// <summary>The host's resident memory at the end of the run, in MB (10^6 bytes: 238.4 MiB).</summary>
    public const double RssMB = 250;

    /// <summary>MiB (what the run measures) in MB (what the goal says).</summary>
    public static double MB(double mib) => mib * 1024 * 1024 / 1_000_000;

    /// <summary>One PostgreSQL host's resolved requests against <c>pgbench -N</c> on the same cluster.</summary>
    public const double PostgresShare = 0.50;

    public static void Report(Report report, IEnumerable<(string Goal, string Figure, bool? Met)> goals)
    {
        report.Line();
        report.Table(["Goal", "This run", "Met"], goals.Select(g => new[] { g.Goal, g.Figure, g.Met switch { true => "yes", false => "no", null => "not measured" } }));
    }
}
