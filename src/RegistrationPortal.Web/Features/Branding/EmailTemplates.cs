using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Values;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>The values a template may use: exactly these, as text.</summary>
public sealed record TemplateValues(string Code, string ExpiresAt, string RegisterLink, string ResendLink, string OrganizationName, string SupportContact);

/// <summary>A template rendered: the subject, the plain-text part, and the HTML part made from the same words.</summary>
public sealed record RenderedTemplate(string Subject, string Text, string Html);

/// <summary>A parsed organization template, ready to render; the plain and the HTML body are parsed once each.</summary>
public sealed class CompiledTemplate(IFluidTemplate subject, IFluidTemplate text, IFluidTemplate html)
{
    public IFluidTemplate Subject { get; } = subject;

    public IFluidTemplate Text { get; } = text;

    public IFluidTemplate Html { get; } = html;
}

/// <summary>
/// Organizations' email templates in Liquid (Fluid): a fixed set of variables (<see cref="Variables"/>), no other
/// variable, no filter beyond Liquid's own, no include, bounded work and output. The body is plain text; the HTML part
/// is the same text with every character HTML-escaped (the template's words and the values alike), paragraphs and line
/// breaks kept and web addresses made links, so a template can never put markup into the mail.
/// </summary>
public static partial class EmailTemplates
{
    public const int MaxSubjectLength = 200;

    public const int MaxBodyLength = 10_000;

    public static IReadOnlyList<string> Variables { get; } = ["code", "expires_at", "register_link", "resend_link", "organization_name", "support_contact"];

    private static readonly FluidParser Parser = new();

    private static readonly TemplateOptions Options = new TemplateOptionsBuilder()
        .WithStrictVariables(true)
        .WithStrictFilters(true)
        .WithMaxSteps(10_000)
        .WithMaxRecursion(10)
        .WithMaxOutputSize(64 * 1024)
        .Build();

    /// <summary>Parses a template; null and the problem in words when it does not parse or is too long.</summary>
    public static (CompiledTemplate? Template, string? Problem) Compile(string subject, string body)
    {
        if (string.IsNullOrWhiteSpace(subject) || string.IsNullOrWhiteSpace(body))
        {
            return (null, "Both the subject and the body are needed.");
        }

        if (subject.Length > MaxSubjectLength || body.Length > MaxBodyLength)
        {
            return (null, $"The subject may have {MaxSubjectLength} characters and the body {MaxBodyLength:N0} at most.");
        }

        if (!Parser.TryParse(subject, out var subjectTemplate, out var subjectError))
        {
            return (null, $"The subject does not parse: {subjectError}");
        }

        if (!Parser.TryParse(body, out var textTemplate, out var bodyError))
        {
            return (null, $"The body does not parse: {bodyError}");
        }

        // The HTML part: the template's own words escaped before parsing, the values escaped as they are written.
        if (!Parser.TryParse(EscapeLiteralText(body), out var htmlTemplate, out var htmlError))
        {
            return (null, $"The body does not parse: {htmlError}");
        }

        return (new CompiledTemplate(subjectTemplate, textTemplate, htmlTemplate), null);
    }

    /// <summary>
    /// Checks a template before it is saved: it parses, renders with sample values, and its body shows the code and the
    /// register link (a mail without them is useless to the person). Null when it may be saved; the problem otherwise.
    /// </summary>
    public static string? Problem(string subject, string body)
    {
        if (!IsText(subject) || !IsText(body))
        {
            return "The subject and the body must be text: no control characters other than line breaks and tabs.";
        }

        var (template, problem) = Compile(subject, body);
        if (template is null)
        {
            return problem;
        }

        var sample = new TemplateValues("K7QH-3MZP-W9XD-R2TF", "Monday 7 December 2026, 17:00 UTC", "https://portal.example/register?email=a%40example.com&orgId=or-x", "https://portal.example/register/resend?email=a%40example.com&orgId=or-x", "Acme", "help@acme.example");
        RenderedTemplate rendered;
        try
        {
            rendered = Render(template, sample);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ParseException or FluidException)
        {
            return $"The template does not render: {ex.Message}";
        }

        if (rendered.Subject.Contains('\n', StringComparison.Ordinal) || rendered.Subject.Contains('\r', StringComparison.Ordinal))
        {
            return "The subject must render as one line.";
        }

        if (!rendered.Text.Contains(sample.Code, StringComparison.Ordinal))
        {
            return "The body must show the code: put {{ code }} in it.";
        }

        if (!rendered.Text.Contains(sample.RegisterLink, StringComparison.Ordinal))
        {
            return "The body must show the register link: put {{ register_link }} in it.";
        }

        return null;
    }

    /// <summary>
    /// No control character but CR, LF and tab (a NUL, which PostgreSQL refuses to store, among them), and no half of a
    /// surrogate pair.
    /// </summary>
    private static bool IsText(string text) => !UnicodeText.HasAny(text, c => char.IsControl(c) && c is not ('\r' or '\n' or '\t'));

    /// <summary>Renders a compiled template; throws when it uses a variable or filter it may not, or works too long.</summary>
    public static RenderedTemplate Render(CompiledTemplate template, TemplateValues values)
    {
        var context = new TemplateContext(Options);
        context.SetValue("code", StringValue.Create(values.Code));
        context.SetValue("expires_at", StringValue.Create(values.ExpiresAt));
        context.SetValue("register_link", StringValue.Create(values.RegisterLink));
        context.SetValue("resend_link", StringValue.Create(values.ResendLink));
        context.SetValue("organization_name", StringValue.Create(values.OrganizationName));
        context.SetValue("support_contact", StringValue.Create(values.SupportContact));
        var subject = template.Subject.Render(context, NullEncoder.Default).Trim();
        var text = template.Text.Render(context, NullEncoder.Default);
        var html = template.Html.Render(context, HtmlEncoder.Default);
        return new RenderedTemplate(subject, text, Paragraphs(html));
    }

    /// <summary>Escapes the template's literal text (outside <c>{{ }}</c> and <c>{% %}</c>) for HTML.</summary>
    private static string EscapeLiteralText(string body)
    {
        var result = new StringBuilder(body.Length + 64);
        var last = 0;
        foreach (Match tag in LiquidTag().Matches(body))
        {
            result.Append(WebUtility.HtmlEncode(body[last..tag.Index]));
            result.Append(tag.Value);
            last = tag.Index + tag.Length;
        }

        result.Append(WebUtility.HtmlEncode(body[last..]));
        return result.ToString();
    }

    /// <summary>Escaped text as HTML: blank lines part paragraphs, a line break stays one, and web addresses become links.</summary>
    private static string Paragraphs(string escaped)
    {
        var paragraphs = ParagraphBreak().Split(escaped.Replace("\r\n", "\n", StringComparison.Ordinal).Trim())
            .Where(p => p.Trim().Length > 0)
            .Select(p => "<p>" + WebAddress().Replace(p.Trim(), m => $"<a href=\"{m.Value}\">{m.Value}</a>").Replace("\n", "<br>\n", StringComparison.Ordinal) + "</p>");
        return string.Join("\n", paragraphs);
    }

    [GeneratedRegex(@"\{\{.*?\}\}|\{%.*?%\}", RegexOptions.Singleline)]
    private static partial Regex LiquidTag();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex ParagraphBreak();

    // After HTML escaping: an address ends at whitespace or markup; &amp; stays part of it.
    [GeneratedRegex(@"https?://[^\s<>""']+")]
    private static partial Regex WebAddress();
}
