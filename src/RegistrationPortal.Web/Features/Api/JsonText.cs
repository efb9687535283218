using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>
/// Checks that every string of a parsed JSON document, names included, is Unicode text. <see cref="JsonDocument"/>
/// accepts an escaped lone surrogate (<c>"\ud800"</c>) and, inside strings, bytes that are not UTF-8; reading such a
/// string later (<see cref="JsonElement.GetString"/>, <see cref="JsonProperty.Name"/>, even
/// <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>) throws. So each raw string is checked here,
/// before anything reads it: valid UTF-8, and every <c>\uXXXX</c> surrogate escape paired, high then low. And no NUL
/// (<c>\u0000</c>): no text column of PostgreSQL holds one, nor takes one as a parameter, so a NUL that reached a query
/// failed it there (a 500) where SQLite answered.
/// </summary>
public static class JsonText
{
    /// <summary>Where the first string that is not Unicode text is, or null when all are.</summary>
    public static JsonTextProblem? FindBadString(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsWellFormed(JsonMarshal.GetRawUtf8Value(element)) ? null : new JsonTextProblem(path, IsName: false);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsWellFormed(JsonMarshal.GetRawUtf8PropertyName(property)))
                    {
                        return new JsonTextProblem(path, IsName: true);
                    }

                    var name = Printable(property.Name);
                    if (FindBadString(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindBadString(item, $"{path}[{index++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>True when the raw (still escaped) JSON string text is UTF-8 and unescapes to well-formed UTF-16 without NUL.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(raw))
        {
            return false;
        }

        for (var i = raw.IndexOf((byte)'\\'); i >= 0 && i < raw.Length; )
        {
            if (i + 1 >= raw.Length)
            {
                return false;
            }

            if (raw[i + 1] != (byte)'u')
            {
                i = Next(raw, i + 2);
                continue;
            }

            if (!TryHex(raw, i + 2, out var unit))
            {
                return false;
            }

            if (char.IsLowSurrogate((char)unit) || unit == 0)
            {
                return false;
            }

            if (char.IsHighSurrogate((char)unit))
            {
                // The low half must follow at once, as its own escape.
                if (i + 12 > raw.Length || raw[i + 6] != (byte)'\\' || raw[i + 7] != (byte)'u'
                    || !TryHex(raw, i + 8, out var low) || !char.IsLowSurrogate((char)low))
                {
                    return false;
                }

                i = Next(raw, i + 12);
                continue;
            }

            i = Next(raw, i + 6);
        }

        return true;
    }

    /// <summary>A field name fit for an error message: at most 40 characters, control characters shown as '?'.</summary>
    public static string Printable(string name)
    {
        var cut = name.Length > 40 ? name[..40] + "…" : name;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    private static int Next(ReadOnlySpan<byte> raw, int from)
    {
        if (from >= raw.Length)
        {
            return -1;
        }

        var next = raw[from..].IndexOf((byte)'\\');
        return next < 0 ? -1 : from + next;
    }

    private static bool TryHex(ReadOnlySpan<byte> raw, int at, out int value)
    {
        value = 0;
        if (at + 4 > raw.Length)
        {
            return false;
        }

        for (var k = 0; k < 4; k++)
        {
            var digit = HexValue(raw[at + k]);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

/// <summary>A string that is not Unicode text: the value at <paramref name="Path"/>, or a field name inside it when <paramref name="IsName"/>.</summary>
public sealed record JsonTextProblem(string Path, bool IsName)
{
    /// <summary>The 400 message, naming the field (<c>username must be valid Unicode text</c>).</summary>
    public string Message => IsName
        ? Path.Length == 0 ? "field names must be valid Unicode text" : $"field names in {Path} must be valid Unicode text"
        : $"{Path} must be valid Unicode text";
}
