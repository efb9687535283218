using System.Globalization;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// The languages the registration emails and the public pages speak: two-letter codes, English the default. The admin
/// portal itself stays English.
/// </summary>
public static class PortalLanguages
{
    public const string Default = "en";

    /// <summary>The longest language code stored on a user.</summary>
    public const int MaxLength = 8;

    public static IReadOnlyList<string> Supported { get; } = ["en", "fr", "de", "es"];

    /// <summary>The supported language <paramref name="text"/> names, as people write it: <c>fr</c>, <c>FR</c>, <c>fr-CA</c>, <c>French</c>, <c>Français</c>; null when none.</summary>
    public static string? Parse(string? text)
    {
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        foreach (var code in Supported)
        {
            var culture = CultureOf(code);
            if (string.Equals(value, code, StringComparison.OrdinalIgnoreCase)
                || value.StartsWith(code + "-", StringComparison.OrdinalIgnoreCase)
                || value.StartsWith(code + "_", StringComparison.OrdinalIgnoreCase)
                || string.Equals(value, culture.EnglishName, StringComparison.OrdinalIgnoreCase)
                || string.Equals(value, culture.NativeName, StringComparison.OrdinalIgnoreCase))
            {
                return code;
            }
        }

        return null;
    }

    /// <summary>A stored language, or the default for anything else (a row written before languages, a removed language).</summary>
    public static string OrDefault(string? code) => Parse(code) ?? Default;

    public static CultureInfo CultureOf(string? code) => CultureInfo.GetCultureInfo(code is not null && Supported.Contains(code) ? code : Default);

    /// <summary>The language's own name with a capital: English, Français, Deutsch, Español.</summary>
    public static string NativeName(string code)
    {
        var culture = CultureOf(code);
        var name = culture.NativeName;
        return name.Length == 0 ? code : char.ToUpper(name[0], culture) + name[1..];
    }
}
