using System.Security.Cryptography;

namespace RegistrationPortal.Web.Data;

/// <summary>Dfns-style identifiers: a prefix, then random groups of 5, 5 and 16 lowercase letters and digits.</summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public const string Organization = "or";
    public const string User = "us";
    public const string Application = "ap";
    public const string Credential = "cr";

    public static string New(string prefix) =>
        string.Create(prefix.Length + 1 + 5 + 1 + 5 + 1 + 16, prefix, static (span, p) =>
        {
            p.AsSpan().CopyTo(span);
            var rest = span[p.Length..];
            rest[0] = '-';
            RandomNumberGenerator.GetItems(Alphabet, rest.Slice(1, 5));
            rest[6] = '-';
            RandomNumberGenerator.GetItems(Alphabet, rest.Slice(7, 5));
            rest[12] = '-';
            RandomNumberGenerator.GetItems(Alphabet, rest.Slice(13, 16));
        });

    /// <summary>
    /// True when <paramref name="value"/> is a well-formed id with the given prefix (ids are case-sensitive). New ids
    /// end in 16 characters; 17 are accepted too, as in the Dfns documentation's own example
    /// (<c>or-34513-nip9c-8bppvgqgj28dbodrc</c>), so ids copied from it are well formed.
    /// </summary>
    public static bool IsValid(string? value, string prefix)
    {
        if (value is null || value.Length - prefix.Length is not (29 or 30) || !value.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = value.AsSpan(prefix.Length);
        if (rest[0] != '-' || rest[6] != '-' || rest[12] != '-')
        {
            return false;
        }

        return IsGroup(rest.Slice(1, 5)) && IsGroup(rest.Slice(7, 5)) && IsGroup(rest[13..]);

        static bool IsGroup(ReadOnlySpan<char> group)
        {
            foreach (var c in group)
            {
                if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
