using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>axe-core scans: a page passes when no violation is serious or critical.</summary>
public static class Accessibility
{
    private static readonly string[] Blocking = ["serious", "critical"];

    /// <summary>Scans the page as it is now; fails with every blocking violation and the elements it found.</summary>
    public static async Task AssertNoSeriousViolationsAsync(IPage page, string what) =>
        // axe's default rule set (WCAG 2.x A and AA, and best practices); only the violations are read back, which
        // keeps a scan of a MudBlazor page quick.
        Check(await page.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations] }), what);

    /// <summary>Scans one part of the page (a dialog, a panel), whose page is scanned on its own: a part takes a fraction of the time.</summary>
    public static async Task AssertNoSeriousViolationsAsync(ILocator part, string what) =>
        Check(await part.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations] }), what);

    /// <summary>Only the colour-contrast rule (WCAG 1.4.3, 4.5:1 for text), every violation whatever its impact: a theme's check.</summary>
    public static async Task AssertNoContrastViolationsAsync(IPage page, string what) =>
        Check(await page.RunAxe(ContrastOnly), what, anyImpact: true);

    public static async Task AssertNoContrastViolationsAsync(ILocator part, string what) =>
        Check(await part.RunAxe(ContrastOnly), what, anyImpact: true);

    private static AxeRunOptions ContrastOnly => new()
    {
        RunOnly = new RunOnlyOptions { Type = "rule", Values = ["color-contrast"] },
        ResultTypes = [ResultType.Violations],
    };

    private static void Check(AxeResult result, string what, bool anyImpact = false)
    {
        var blocking = result.Violations.Where(v => anyImpact || Blocking.Contains(v.Impact, StringComparer.OrdinalIgnoreCase)).ToList();
        Assert.True(blocking.Count == 0, $"axe found {(anyImpact ? "" : "serious or critical ")}violations on {what}:{Environment.NewLine}" + string.Join(
            Environment.NewLine,
            blocking.Select(v => $"- {v.Id} ({v.Impact}): {v.Help}{Environment.NewLine}" + string.Join(
                Environment.NewLine,
                v.Nodes.Select(n => $"    {n.Target}: {n.Html} {n.Any.FirstOrDefault()?.Message}")))));
    }
}
