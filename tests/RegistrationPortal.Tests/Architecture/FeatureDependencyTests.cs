using System.Reflection;
using NetArchTest.Rules;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Tests.Architecture;

/// <summary>
/// The rule of docs/architecture.md, read from the compiled assembly (pages included, since Razor compiles to types
/// in the page's folder namespace): no two features use each other, directly or around a loop, and <c>Shared</c>
/// uses no feature. <c>Data</c> names every entity through its DbSets and is left out of the graph on purpose.
/// </summary>
public sealed class FeatureDependencyTests
{
    private const string Features = "RegistrationPortal.Web.Features.";

    private static readonly Assembly Web = typeof(PortalDbContext).Assembly;

    private static readonly string[] FeatureNames = [.. Web.GetTypes()
        .Select(t => t.Namespace)
        .Where(n => n is not null && n.StartsWith(Features, StringComparison.Ordinal))
        .Select(n => n![Features.Length..].Split('.')[0])
        .Distinct()
        .Order(StringComparer.Ordinal)];

    [Fact]
    public void Every_feature_folder_is_seen()
    {
        // A guard for the test itself: a graph of one feature has no cycles to find.
        Assert.Contains("Registration", FeatureNames);
        Assert.Contains("Users", FeatureNames);
        Assert.True(FeatureNames.Length >= 8, string.Join(", ", FeatureNames));
    }

    [Fact]
    public void The_cycle_finder_reports_a_loop_as_its_path()
    {
        var graph = new Dictionary<string, Dictionary<string, string[]>>
        {
            ["A"] = new() { ["B"] = ["A.X"] },
            ["B"] = new() { ["C"] = ["B.Y"] },
            ["C"] = new() { ["B"] = ["C.Z"] },
            ["D"] = [],
        };
        Assert.Equal(["B", "C", "B"], FindCycle(graph));
        graph["C"].Clear();
        Assert.Null(FindCycle(graph));
    }

    [Fact]
    public void Features_do_not_depend_on_each_other_in_a_cycle()
    {
        var graph = FeatureGraph();
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, cycle is null ? "" : Describe(cycle, graph));
    }

    [Fact]
    public void Shared_uses_no_feature()
    {
        var offenders = Types.InAssembly(Web)
            .That().ResideInNamespace("RegistrationPortal.Web.Shared")
            .Should().NotHaveDependencyOnAny([.. FeatureNames.Select(f => Features + f)])
            .GetResult();
        Assert.True(offenders.IsSuccessful, "Shared uses a feature: " + string.Join(", ", offenders.FailingTypeNames ?? []));
    }

    /// <summary>For each feature, the features it uses and, per edge, the types that make it (for the message).</summary>
    private static Dictionary<string, Dictionary<string, string[]>> FeatureGraph()
    {
        var graph = new Dictionary<string, Dictionary<string, string[]>>();
        foreach (var from in FeatureNames)
        {
            graph[from] = [];
            foreach (var to in FeatureNames.Where(f => f != from))
            {
                // NetArchTest matches dependencies by name prefix; no feature's name begins with another's.
                var all = Types.InAssembly(Web)
                    .That().ResideInNamespace(Features + from)
                    .And().HaveDependencyOn(Features + to)
                    .GetTypes()
                    .Select(t => t.FullName!)
                    .Order(StringComparer.Ordinal)
                    .ToArray();
                if (all.Length > 0)
                {
                    graph[from][to] = all;
                }
            }
        }
        return graph;
    }

    /// <summary>A cycle as its path (first feature repeated at the end), or null.</summary>
    internal static List<string>? FindCycle(IReadOnlyDictionary<string, Dictionary<string, string[]>> graph)
    {
        var state = graph.Keys.ToDictionary(k => k, _ => 0); // 0 unseen, 1 on the path, 2 done
        var path = new List<string>();

        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node].Keys.Order(StringComparer.Ordinal))
            {
                if (state[next] == 1)
                {
                    return [.. path[path.IndexOf(next)..], next];
                }
                if (state[next] == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state[node] == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    private static string Describe(List<string> cycle, Dictionary<string, Dictionary<string, string[]>> graph)
    {
        var lines = new List<string> { "Feature cycle: " + string.Join(" -> ", cycle) };
        for (var i = 0; i < cycle.Count - 1; i++)
        {
            lines.Add($"  {cycle[i]} -> {cycle[i + 1]} through " + string.Join(", ", graph[cycle[i]][cycle[i + 1]]));
        }
        lines.Add("All feature edges:");
        lines.AddRange(graph.SelectMany(g => g.Value.Select(e => $"  {g.Key} -> {e.Key}: {string.Join(", ", e.Value)}")));
        return string.Join(Environment.NewLine, lines);
    }
}
