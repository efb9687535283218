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

    private static void Check(AxeResult result, string what)
    {
        var blocking = result.Violations.Where(v => Blocking.Contains(v.Impact, StringComparer.OrdinalIgnoreCase)).ToList();
        Assert.True(blocking.Count == 0, $"axe found serious or critical violations on {what}:{Environment.NewLine}" + string.Join(
            Environment.NewLine,
            blocking.Select(v => $"- {v.Id} ({v.Impact}): {v.Help}{Environment.NewLine}" + string.Join(
                Environment.NewLine,
                v.Nodes.Select(n => $"    {n.Target}: {n.Html}")))));
    }
}
