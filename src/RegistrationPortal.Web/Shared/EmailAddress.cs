using System.Globalization;
using System.Net.Mail;

namespace RegistrationPortal.Web.Shared;

/// <summary>Usernames are email addresses; they compare case-insensitively through their normalized form.</summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>The form stored in the unique index and used for every lookup: trimmed, invariant upper case.</summary>
    public static string Normalize(string email) => email.Trim().ToUpperInvariant();

    /// <summary>
    /// An invisible formatting character (zero-width space, byte order mark, soft hyphen, word joiner…): they come along
    /// with addresses copied from web pages and chats, are part of no address, and an address holding one would look
    /// the same as the address without it while being another user.
    /// </summary>
    public static bool IsInvisible(char c) => char.GetUnicodeCategory(c) == UnicodeCategory.Format;

    /// <summary>Pasted text without the white space and invisible formatting characters around it.</summary>
    public static string TrimPasted(string text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && (char.IsWhiteSpace(text[start]) || IsInvisible(text[start])))
        {
            start++;
        }

        while (end > start && (char.IsWhiteSpace(text[end - 1]) || IsInvisible(text[end - 1])))
        {
            end--;
        }

        return text[start..end];
    }

    public static bool IsValid(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return false;
        }

        var trimmed = email.Trim();
        if (trimmed.Length > MaxLength || trimmed.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || IsInvisible(c)))
        {
            return false;
        }

        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1)
        {
            return false;
        }

        var domain = trimmed[(at + 1)..];
        if (!domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        // MailAddress rejects what SMTP would reject; it must also not reinterpret the text as "Name <addr>".
        return MailAddress.TryCreate(trimmed, out var parsed) && string.Equals(parsed.Address, trimmed, StringComparison.Ordinal);
    }
}
