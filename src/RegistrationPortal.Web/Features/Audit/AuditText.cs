using System.Text.RegularExpressions;
using RegistrationPortal.Web.Components.Shared;

namespace RegistrationPortal.Web.Features.Audit;

/// <summary>
/// An audit event's details as a person reads them: the stored text keeps machine forms (ISO times to the tick, the
/// door's enum name), which the pages turn into the admin's local time and plain words when they show it.
/// </summary>
public static partial class AuditText
{
    private static readonly Dictionary<string, string> Doors = new(StringComparer.Ordinal)
    {
        ["through Admin"] = "through the portal",
        ["through SelfService"] = "through the self-service page",
        ["through ApiApplication"] = "through the API",
        ["through System"] = "by the system",
    };

    public static string? Details(string? details, AdminClock? clock)
    {
        if (string.IsNullOrEmpty(details))
        {
            return details;
        }

        var text = IsoTime().Replace(details, m => DateTimeOffset.TryParse(m.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? (clock ?? AdminClock.Utc).LocalWithZone(at)
            : m.Value);
        foreach (var (raw, words) in Doors)
        {
            text = text.Replace(raw, words, StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")]
    private static partial Regex IsoTime();
}
