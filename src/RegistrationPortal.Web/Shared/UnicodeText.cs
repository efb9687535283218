namespace RegistrationPortal.Web.Shared;

/// <summary>
/// Checks and cleans text one UTF-16 unit at a time, where a whole surrogate pair (an emoji, a rare script) always passes
/// and half of one never does: no database can store half a pair, and Unicode normalization throws on one.
/// </summary>
public static class UnicodeText
{
    /// <summary>Whether <paramref name="text"/> holds half a surrogate pair, or a character <paramref name="refused"/> refuses.</summary>
    public static bool HasAny(string text, Func<char, bool> refused)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsPairAt(text, i))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]) || refused(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="text"/> with each half pair and each character <paramref name="refused"/> refuses replaced by
    /// <paramref name="replacement"/>, or left out when it is null.
    /// </summary>
    public static string Replace(string text, Func<char, bool> refused, char? replacement)
    {
        if (!HasAny(text, refused))
        {
            return text;
        }

        var kept = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (IsPairAt(text, i))
            {
                kept.Append(text, i++, 2);
            }
            else if (!char.IsSurrogate(text[i]) && !refused(text[i]))
            {
                kept.Append(text[i]);
            }
            else if (replacement is { } c)
            {
                kept.Append(c);
            }
        }

        return kept.ToString();
    }

    private static bool IsPairAt(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
}
