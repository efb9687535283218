using System.Globalization;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// Times as the admin reads them: in the browser's own time zone (portal.js keeps it in a cookie, since a circuit
/// cannot ask the browser synchronously), with the UTC time beside it for hover text and for comparing with logs.
/// </summary>
public sealed record AdminClock(TimeZoneInfo Zone)
{
    public const string CookieName = "portal.tz";

    public static AdminClock Utc { get; } = new(TimeZoneInfo.Utc);

    /// <summary>The zone the cookie names (an IANA id such as Europe/Berlin); UTC when there is none or it is unknown.</summary>
    public static AdminClock FromCookie(string? zoneId) =>
        !string.IsNullOrWhiteSpace(zoneId) && zoneId.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(Uri.UnescapeDataString(zoneId), out var zone)
            ? new AdminClock(zone)
            : Utc;

    public bool IsUtc => Zone.BaseUtcOffset == TimeSpan.Zero && !Zone.SupportsDaylightSavingTime;

    /// <summary>"2026-12-04 14:18" in the admin's zone (or "2026-12-04" with <paramref name="dateOnly"/>).</summary>
    public string Local(DateTimeOffset at, bool dateOnly = false, bool seconds = false) =>
        TimeZoneInfo.ConvertTime(at, Zone).ToString(dateOnly ? "yyyy-MM-dd" : seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>"2026-12-04 14:18 (UTC+01:00)": for text that stands alone, a toast or a summary.</summary>
    public string LocalWithZone(DateTimeOffset at) => $"{Local(at)} ({Offset(at)})";

    /// <summary>"14:18:05 (UTC+01:00)": the time of day of something that just happened.</summary>
    public string TimeOfDay(DateTimeOffset at) => $"{TimeZoneInfo.ConvertTime(at, Zone).ToString("HH:mm:ss", CultureInfo.InvariantCulture)} ({Offset(at)})";

    /// <summary>"2026-12-04 13:18:05 UTC": the hover text.</summary>
    public static string UtcText(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private string Offset(DateTimeOffset at)
    {
        var offset = Zone.GetUtcOffset(at);
        return offset == TimeSpan.Zero ? "UTC" : $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture)}";
    }
}
