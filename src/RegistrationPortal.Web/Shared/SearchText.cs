namespace RegistrationPortal.Web.Shared;

/// <summary>
/// What an admin typed or pasted into a search field, as the search uses it: trimmed, without the characters no stored
/// name, address or id can hold (control characters such as NUL or tab, invisible formatting characters, half of a
/// surrogate pair). PostgreSQL refuses a NUL in any text it is given, so a search for one failed there (SQLite simply
/// found nothing); a pasted term still finds what it shows.
/// </summary>
public static class SearchText
{
    /// <summary>The term to search for, or null when nothing searchable is left.</summary>
    public static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var term = UnicodeText.Replace(text, c => char.IsControl(c) || EmailAddress.IsInvisible(c), replacement: null).Trim();
        return term.Length == 0 ? null : term;
    }
}
