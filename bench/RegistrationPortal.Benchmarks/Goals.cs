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

    /// <summary>The host's resident memory at the end of the run, in MiB (the goal's 250 MB, read as the smaller MiB).</summary>
    public const double RssMiB = 250;

    /// <summary>One PostgreSQL host's resolved requests against <c>pgbench -N</c> on the same cluster.</summary>
    public const double PostgresShare = 0.50;

    public static void Report(Report report, IEnumerable<(string Goal, string Figure, bool? Met)> goals)
    {
        report.Line();
        report.Table(["Goal", "This run", "Met"], goals.Select(g => new[] { g.Goal, g.Figure, g.Met switch { true => "yes", false => "no", null => "not measured" } }));
    }
}
