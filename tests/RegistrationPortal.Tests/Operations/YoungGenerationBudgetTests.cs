using System.Text.Json;
using RegistrationPortal.Web.Features.Operations;

namespace RegistrationPortal.Tests.Operations;

/// <summary>What the host tells an operator about the garbage collector's young generation, and what <c>dotnet run</c> sets.</summary>
public sealed class YoungGenerationBudgetTests
{
    [Fact]
    public void A_budget_sized_from_a_large_cache_is_named_with_the_setting_that_brings_it_down()
    {
        var advice = YoungGenerationBudget.Advice(80L << 20);

        Assert.NotNull(advice);
        Assert.Contains("80 MiB", advice);
        Assert.Contains("DOTNET_GCgen0size=0x1000000", advice);
    }

    [Theory]
    [InlineData(16L << 20)]
    [InlineData(32L << 20)]
    [InlineData(0)]
    public void A_small_budget_or_none_reported_needs_no_advice(long bytes) => Assert.Null(YoungGenerationBudget.Advice(bytes));

    [Fact]
    public void The_runtime_reports_the_budget_this_process_runs_with() => Assert.True(YoungGenerationBudget.Current() > 0);

    [Fact]
    public void Dotnet_run_starts_the_host_with_the_recommended_budget_and_arenas()
    {
        var profile = Path.Combine(RepositoryRoot(), "src", "RegistrationPortal.Web", "Properties", "launchSettings.json");
        using var settings = JsonDocument.Parse(File.ReadAllText(profile));
        foreach (var launch in settings.RootElement.GetProperty("profiles").EnumerateObject())
        {
            var variables = launch.Value.GetProperty("environmentVariables");
            Assert.Equal(YoungGenerationBudget.Recommended, variables.GetProperty(YoungGenerationBudget.Variable).GetString());
            Assert.Equal(NativeMemoryTrim.RecommendedArenas, variables.GetProperty(NativeMemoryTrim.ArenaVariable).GetString());
        }

        // Hexadecimal, as the runtime reads it: 16 MiB.
        Assert.Equal(16L << 20, Convert.ToInt64(YoungGenerationBudget.Recommended, 16));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RegistrationPortal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RegistrationPortal.sln not found above the test's folder.");
    }
}
