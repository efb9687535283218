using System.Globalization;
using System.Text;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

public enum InviteLineStatus
{
    /// <summary>Will be invited.</summary>
    Ready,
    InvalidEmail,
    UnknownKind,
    UnknownLanguage,

    /// <summary>The same address (ignoring case) appears on an earlier line.</summary>
    DuplicateInList,

    /// <summary>The organization already has a user with this address.</summary>
    AlreadyInOrganization,
}

/// <summary>One data line of a pasted or uploaded list. <see cref="LineNumber"/> counts physical lines from 1, header included.</summary>
public sealed record InviteLine(int LineNumber, string Email, string? KindText, UserKind? Kind, InviteLineStatus Status, int? FirstLine = null)
{
    /// <summary>The language of the person's emails (<see cref="Shared.PortalLanguages"/>); null: the default.</summary>
    public string? Language { get; init; }

    /// <summary>The language as the line gave it, when it names no supported language.</summary>
    public string? LanguageText { get; init; }

    public bool IsReady => Status == InviteLineStatus.Ready;

    /// <summary>What is wrong with the line, in words, or null when it is ready.</summary>
    public string? Problem => Status switch
    {
        InviteLineStatus.InvalidEmail => Email.Length == 0 ? "No email address" : "Not a valid email address",
        InviteLineStatus.UnknownKind => $"Unknown kind \"{KindText}\" (use {string.Join(" or ", Enum.GetNames<UserKind>())})",
        InviteLineStatus.UnknownLanguage => $"Unknown language \"{LanguageText}\" (use {string.Join(", ", Shared.PortalLanguages.Supported)})",
        InviteLineStatus.DuplicateInList => $"Repeats line {FirstLine}",
        InviteLineStatus.AlreadyInOrganization => "Already in the organization",
        _ => null,
    };
}

/// <summary>A parsed list: its lines, or why it was refused as a whole (too large, no data).</summary>
public sealed record InviteList(IReadOnlyList<InviteLine> Lines, string? Error = null)
{
    public int Ready => Lines.Count(l => l.Status == InviteLineStatus.Ready);

    public int Invalid => Lines.Count(l => l.Status is InviteLineStatus.InvalidEmail or InviteLineStatus.UnknownKind or InviteLineStatus.UnknownLanguage);

    public int DuplicatesInList => Lines.Count(l => l.Status == InviteLineStatus.DuplicateInList);

    public int AlreadyInOrganization => Lines.Count(l => l.Status == InviteLineStatus.AlreadyInOrganization);

    /// <summary>The same list with the lines whose (normalized) address is in <paramref name="existing"/> marked as already in the organization.</summary>
    public InviteList MarkExisting(IReadOnlySet<string> existing) => this with
    {
        Lines = Lines
            .Select(l => l.Status == InviteLineStatus.Ready && existing.Contains(EmailAddress.Normalize(l.Email)) ? l with { Status = InviteLineStatus.AlreadyInOrganization } : l)
            .ToList(),
    };
}

/// <summary>
/// Reads a list of people to invite, pasted or uploaded: one person a line, <c>email</c> then optionally <c>kind</c>,
/// separated by a comma, semicolon or tab, fields optionally in double quotes (RFC 4180). A first line naming the
/// columns (<c>email</c>, <c>kind</c>, in any order) is optional. Blank lines are skipped. A line without a kind gets
/// the default kind. A <c>language</c> column (named in the header line) gives each person's email language. Pure: no database, no browser.
/// </summary>
public static class InviteListParser
{
    public const int MaxLines = 10_000;

    public const int MaxBytes = 1024 * 1024;

    public static string TooManyBytesMessage { get; } = "The list is larger than 1 MB. Split it into smaller lists and invite them one after another.";

    public static string TooManyLinesMessage { get; } = string.Create(CultureInfo.InvariantCulture, $"The list has more than {MaxLines:N0} lines. Split it into smaller lists and invite them one after another.");

    public static string EmptyMessage { get; } = "The list has no email addresses.";

    private static readonly char[] Separators = [',', ';', '\t'];

    public static InviteList Parse(string? text, UserKind defaultKind)
    {
        text ??= string.Empty;
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return new InviteList([], TooManyBytesMessage);
        }

        var lines = new List<InviteLine>();
        var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var emailColumn = 0;
        int? kindColumn = 1;
        int? languageColumn = null;
        var sawData = false;
        var lineNumber = 0;
        foreach (var raw in SplitLines(text.TrimStart('\uFEFF')))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            var fields = SplitFields(raw);
            if (!sawData && lines.Count == 0 && IsHeader(fields, out var headerEmail, out var headerKind, out var headerLanguage))
            {
                emailColumn = headerEmail;
                kindColumn = headerKind;
                languageColumn = headerLanguage;
                sawData = true;
                continue;
            }

            sawData = true;
            if (lines.Count == MaxLines)
            {
                return new InviteList([], TooManyLinesMessage);
            }

            var email = Field(fields, emailColumn);
            var kindText = kindColumn is { } k ? Field(fields, k) : string.Empty;
            var languageText = languageColumn is { } l ? Field(fields, l) : string.Empty;
            lines.Add(WithLanguage(Classify(lineNumber, email, kindText, defaultKind, firstLineOf), languageText, firstLineOf));
        }

        return lines.Count == 0 ? new InviteList([], EmptyMessage) : new InviteList(lines);
    }

    /// <summary>Reads an uploaded file, refusing one over <see cref="MaxBytes"/> without reading all of it.</summary>
    public static async Task<InviteList> ParseAsync(Stream stream, long? declaredLength, UserKind defaultKind, CancellationToken ct = default)
    {
        if (declaredLength > MaxBytes)
        {
            return new InviteList([], TooManyBytesMessage);
        }

        var buffer = new byte[MaxBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read, buffer.Length - read), ct)) > 0)
        {
            read += n;
        }

        if (read > MaxBytes)
        {
            return new InviteList([], TooManyBytesMessage);
        }

        // UTF-8 (with or without a byte order mark), which is what spreadsheets export as "CSV UTF-8".
        return Parse(new UTF8Encoding(false).GetString(buffer, 0, read), defaultKind);
    }

    /// <summary>Parses a kind as people write it: <c>EndUser</c>, <c>end user</c>, <c>end_user</c>, <c>END-USER</c>.</summary>
    public static bool TryParseKind(string text, out UserKind kind)
    {
        var compact = new string(text.Where(c => !char.IsWhiteSpace(c) && c is not ('_' or '-')).ToArray());
        foreach (var candidate in Enum.GetValues<UserKind>())
        {
            if (string.Equals(candidate.ToString(), compact, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private static InviteLine Classify(int lineNumber, string email, string kindText, UserKind defaultKind, Dictionary<string, int> firstLineOf)
    {
        UserKind? kind = defaultKind;
        if (kindText.Length > 0)
        {
            kind = TryParseKind(kindText, out var parsed) ? parsed : null;
        }

        var kindOrNull = kindText.Length > 0 ? kindText : null;
        if (!EmailAddress.IsValid(email))
        {
            return new InviteLine(lineNumber, email, kindOrNull, kind, InviteLineStatus.InvalidEmail);
        }

        if (kind is null)
        {
            return new InviteLine(lineNumber, email, kindOrNull, null, InviteLineStatus.UnknownKind);
        }

        var normalized = EmailAddress.Normalize(email);
        if (firstLineOf.TryGetValue(normalized, out var first))
        {
            return new InviteLine(lineNumber, email, kindOrNull, kind, InviteLineStatus.DuplicateInList, first);
        }

        firstLineOf[normalized] = lineNumber;
        return new InviteLine(lineNumber, email, kindOrNull, kind, InviteLineStatus.Ready);
    }

    /// <summary>The line with its language; a ready line whose language is unknown is not invited (nor counted as the address's first line).</summary>
    private static InviteLine WithLanguage(InviteLine line, string languageText, Dictionary<string, int> firstLineOf)
    {
        if (languageText.Length == 0)
        {
            return line;
        }

        if (Shared.PortalLanguages.Parse(languageText) is { } language)
        {
            return line with { Language = language };
        }

        if (line.Status != InviteLineStatus.Ready)
        {
            return line with { LanguageText = languageText };
        }

        firstLineOf.Remove(EmailAddress.Normalize(line.Email));
        return line with { Status = InviteLineStatus.UnknownLanguage, LanguageText = languageText };
    }

    private static bool IsHeader(List<string> fields, out int emailColumn, out int? kindColumn, out int? languageColumn)
    {
        emailColumn = -1;
        kindColumn = null;
        languageColumn = null;
        for (var i = 0; i < fields.Count; i++)
        {
            var name = new string(fields[i].Where(char.IsLetter).ToArray()).ToUpperInvariant();
            if (emailColumn < 0 && name is "EMAIL" or "EMAILADDRESS" or "USERNAME")
            {
                emailColumn = i;
            }
            else if (kindColumn is null && name is "KIND" or "USERKIND")
            {
                kindColumn = i;
            }
            else if (languageColumn is null && name is "LANGUAGE" or "LANG" or "LOCALE")
            {
                languageColumn = i;
            }
        }

        return emailColumn >= 0;
    }

    /// <summary>A field without what a copy from a web page or a chat leaves around it (space, a zero-width space, a byte order mark).</summary>
    private static string Field(List<string> fields, int index) => index < fields.Count ? EmailAddress.TrimPasted(fields[index]) : string.Empty;

    private static IEnumerable<string> SplitLines(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '\r' or '\n')
            {
                yield return text[start..i];
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    /// <summary>Fields of one line; a quoted field may hold separators and doubled quotes ("").</summary>
    private static List<string> SplitFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.ToString().Trim().Length == 0)
            {
                field.Clear();
                quoted = true;
            }
            else if (Array.IndexOf(Separators, c) >= 0)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
