using System.Globalization;
using System.Text;
using System.Xml;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>What a logo upload turned out to be: its content type, or why it is refused.</summary>
public sealed record LogoCheck(string? ContentType, string? Problem)
{
    public bool Accepted => Problem is null;
}

/// <summary>
/// The checks of an organization's branding, pure (no database): names on one line, a colour white text can be read on,
/// a support contact that is an address or a web page, and a logo that is what it says and carries no script.
/// </summary>
public static class BrandingRules
{
    public const int MaxLogoBytes = 256 * 1024;

    public const int MaxNameLength = 100;

    public const int MaxContactLength = 300;

    /// <summary>WCAG 2 AA for normal text: the header's and the buttons' white text on the colour.</summary>
    public const double MinContrast = 4.5;

    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Svg = "image/svg+xml";

    private static readonly byte[] PngMagic = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Elements and attributes through which an SVG runs script, embeds other documents, or fetches from elsewhere.
    private static readonly HashSet<string> ForbiddenElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "foreignObject", "iframe", "embed", "object", "handler", "listener", "animate", "set", "animateTransform", "animateMotion",
    };

    /// <summary>A one-line name (display name, sender name) or null when empty; the problem in words otherwise.</summary>
    public static string? NameProblem(string? name, string what) =>
        string.IsNullOrWhiteSpace(name) ? null
        : name.Trim().Length > MaxNameLength ? $"The {what} is longer than {MaxNameLength} characters."
        : name.Any(char.IsControl) ? $"The {what} must be one line of text: no line breaks, tabs or other control characters."
        : null;

    /// <summary>Null when <paramref name="color"/> is empty or a <c>#rrggbb</c> colour dark enough for white text; the problem otherwise.</summary>
    public static string? ColorProblem(string? color)
    {
        if (string.IsNullOrWhiteSpace(color))
        {
            return null;
        }

        if (NormalizeColor(color) is not { } normalized)
        {
            return "The primary colour must be a hex colour like #1f5fbf.";
        }

        var contrast = ContrastWithWhite(normalized);
        return contrast < MinContrast
            ? string.Create(CultureInfo.InvariantCulture, $"The primary colour is too light for white text on it: contrast {contrast:0.0}:1, at least {MinContrast}:1 is needed. Choose a darker colour.")
            : null;
    }

    /// <summary><c>#rrggbb</c> in lower case, from <c>#rgb</c> or <c>#rrggbb</c> (with or without the #); null when it is not one.</summary>
    public static string? NormalizeColor(string? color)
    {
        var hex = color?.Trim().TrimStart('#') ?? "";
        if (hex.Length == 3)
        {
            hex = string.Concat(hex.Select(c => $"{c}{c}"));
        }

        return hex.Length == 6 && hex.All(char.IsAsciiHexDigit) ? "#" + hex.ToLowerInvariant() : null;
    }

    /// <summary>The WCAG 2 contrast ratio of white against <paramref name="color"/> (<c>#rrggbb</c>).</summary>
    public static double ContrastWithWhite(string color)
    {
        static double Channel(string hex)
        {
            var c = int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        var luminance = (0.2126 * Channel(color[1..3])) + (0.7152 * Channel(color[3..5])) + (0.0722 * Channel(color[5..7]));
        return 1.05 / (luminance + 0.05);
    }

    /// <summary>Null when empty, an email address, or an absolute http(s) address; the problem otherwise.</summary>
    public static string? SupportContactProblem(string? contact)
    {
        if (string.IsNullOrWhiteSpace(contact))
        {
            return null;
        }

        var value = contact.Trim();
        if (value.Length > MaxContactLength)
        {
            return $"The support contact is longer than {MaxContactLength} characters.";
        }

        return IsSupportEmail(value) || IsWebAddress(value) ? null : "The support contact must be an email address or a web address starting with https://.";
    }

    private static bool IsSupportEmail(string contact) => !contact.Contains("://", StringComparison.Ordinal) && EmailAddress.IsValid(contact);

    /// <summary>The link a support contact opens: <c>mailto:</c> for an address, the page itself for a web address.</summary>
    public static string SupportHref(string contact) => IsSupportEmail(contact) ? "mailto:" + contact : contact;

    private static bool IsWebAddress(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && !value.Any(char.IsWhiteSpace) && OrganizationService.IsOneLine(value);

    public static string? ReplyToProblem(string? replyTo) =>
        string.IsNullOrWhiteSpace(replyTo) || EmailAddress.IsValid(replyTo.Trim()) ? null : "The reply-to address must be an email address like help@example.com.";

    /// <summary>
    /// What an uploaded logo is, judged by its bytes and not only its name: a PNG, a JPEG, or an SVG whose XML carries no
    /// script, event handler, embedded document or outside reference. A file whose name or type says one thing and whose
    /// bytes are another is refused.
    /// </summary>
    public static LogoCheck CheckLogo(string fileName, string? declaredType, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return new LogoCheck(null, "The file is empty.");
        }

        if (bytes.Length > MaxLogoBytes)
        {
            return new LogoCheck(null, $"The logo is larger than {MaxLogoBytes / 1024} KB. Export it smaller (a logo needs a few KB).");
        }

        var claimed = ClaimedType(fileName, declaredType);
        var actual = bytes.StartsWith(PngMagic) ? Png
            : bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF ? Jpeg
            : LooksLikeXml(bytes) ? Svg
            : null;
        if (actual is null)
        {
            return new LogoCheck(null, "The logo must be a PNG, JPEG or SVG image.");
        }

        if (claimed is not null && claimed != actual)
        {
            return new LogoCheck(null, $"The file says it is {Describe(claimed)} but it is {Describe(actual)}. Upload the image as what it is.");
        }

        return actual == Svg && SvgProblem(bytes) is { } problem ? new LogoCheck(null, problem) : new LogoCheck(actual, null);
    }

    private static string Describe(string type) => type switch
    {
        Png => "a PNG image",
        Jpeg => "a JPEG image",
        _ => "an SVG image",
    };

    private static string? ClaimedType(string fileName, string? declaredType)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var byName = extension switch
        {
            ".png" => Png,
            ".jpg" or ".jpeg" => Jpeg,
            ".svg" => Svg,
            _ => null,
        };
        var byType = declaredType?.Split(';')[0].Trim().ToLowerInvariant() switch
        {
            Png => Png,
            Jpeg or "image/jpg" => Jpeg,
            Svg => Svg,
            _ => null,
        };
        return byName ?? byType;
    }

    private static bool LooksLikeXml(ReadOnlySpan<byte> bytes)
    {
        var start = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 512)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return start.StartsWith('<');
    }

    /// <summary>Why an SVG is refused, or null. Read with no DTD and no outside resolution, so the check itself fetches nothing.</summary>
    private static string? SvgProblem(ReadOnlySpan<byte> bytes)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreProcessingInstructions = true };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes.ToArray()), settings);
            var sawRoot = false;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA)
                    {
                        if (reader.Value.Contains("javascript:", StringComparison.OrdinalIgnoreCase))
                        {
                            return ScriptRefusal;
                        }

                        // Style sheets: nothing fetched from elsewhere.
                        if (reader.Value.Contains("@import", StringComparison.OrdinalIgnoreCase) || reader.Value.Contains("url(", StringComparison.OrdinalIgnoreCase)
                            || reader.Value.Contains("expression(", StringComparison.OrdinalIgnoreCase))
                        {
                            return "The SVG's styles load something from elsewhere; a logo must be self-contained.";
                        }
                    }

                    continue;
                }

                if (!sawRoot)
                {
                    sawRoot = true;
                    if (!string.Equals(reader.LocalName, "svg", StringComparison.Ordinal))
                    {
                        return "The logo must be a PNG, JPEG or SVG image.";
                    }
                }

                if (ForbiddenElements.Contains(reader.LocalName))
                {
                    return ScriptRefusal;
                }

                for (var more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
                {
                    var name = reader.LocalName;
                    var value = reader.Value.Trim();
                    if (name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || value.Contains("javascript:", StringComparison.OrdinalIgnoreCase))
                    {
                        return ScriptRefusal;
                    }

                    if (name == "href" && !value.StartsWith('#') && !value.StartsWith("data:image/png", StringComparison.OrdinalIgnoreCase)
                        && !value.StartsWith("data:image/jpeg", StringComparison.OrdinalIgnoreCase))
                    {
                        return "The SVG links to something outside itself; a logo must be self-contained.";
                    }
                }

                reader.MoveToElement();
            }

            return sawRoot ? null : "The logo must be a PNG, JPEG or SVG image.";
        }
        catch (XmlException)
        {
            return "The SVG is not well-formed XML (or declares a DTD), so it cannot be checked. Export it again as plain SVG.";
        }
    }

    private const string ScriptRefusal = "The SVG carries script (a script element, an event handler or a javascript: link). Upload a logo without script.";
}
