using System.Security.Cryptography;
using System.Text;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// Registration codes: 16 symbols of Crockford's base32 (5 bits each, 80 bits in all) from
/// <see cref="RandomNumberGenerator"/>, shown as four groups of four. Input is accepted in any case, with
/// or without dashes and spaces, and with the letters people confuse with digits (O, I, L).
/// </summary>
public static class RegistrationCodes
{
    /// <summary>Crockford's base32: digits and upper-case letters without I, L, O and U.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public const int SymbolCount = 16;

    public const int GroupLength = 4;

    public static string Generate()
    {
        Span<char> symbols = stackalloc char[SymbolCount];
        RandomNumberGenerator.GetItems(Alphabet, symbols);
        var builder = new StringBuilder(SymbolCount + (SymbolCount / GroupLength) - 1);
        for (var i = 0; i < SymbolCount; i++)
        {
            if (i > 0 && i % GroupLength == 0)
            {
                builder.Append('-');
            }

            builder.Append(symbols[i]);
        }

        return builder.ToString();
    }

    /// <summary>The canonical form that is hashed: 16 symbols, upper case, no separators.</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = string.Empty;
        if (input is null || input.Length > 64)
        {
            return false;
        }

        Span<char> buffer = stackalloc char[SymbolCount];
        var count = 0;
        foreach (var raw in input)
        {
            if (raw is '-' or ' ')
            {
                continue;
            }

            var c = char.ToUpperInvariant(raw) switch
            {
                'O' => '0',
                'I' or 'L' => '1',
                var other => other,
            };
            if (count == SymbolCount || !Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }

            buffer[count++] = c;
        }

        if (count != SymbolCount)
        {
            return false;
        }

        normalized = new string(buffer);
        return true;
    }
}

/// <summary>HMAC-SHA-256 of a code's canonical form under the server key; compared in constant time.</summary>
public sealed class CodeHasher(ServerKeys keys)
{
    public byte[] Hash(string code)
    {
        if (!RegistrationCodes.TryNormalize(code, out var normalized))
        {
            throw new ArgumentException("Not a registration code.", nameof(code));
        }

        return HMACSHA256.HashData(keys.CodeHashKey, Encoding.ASCII.GetBytes(normalized));
    }

    /// <summary>
    /// The keyed hash of what a person typed, to look the code up by; malformed input gets the hash of a string no code
    /// normalizes to, so it costs the same and finds nothing.
    /// </summary>
    public byte[] HashInput(string? input) =>
        HMACSHA256.HashData(keys.CodeHashKey, Encoding.ASCII.GetBytes(RegistrationCodes.TryNormalize(input, out var normalized) ? normalized : "not a code"));

    /// <summary>True when <paramref name="input"/> is the code whose hash is <paramref name="storedHash"/> (constant time).</summary>
    public bool Matches(string? input, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(HashInput(input), storedHash) && RegistrationCodes.TryNormalize(input, out _);
}
