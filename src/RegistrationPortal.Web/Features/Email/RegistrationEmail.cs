using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Localization;
using MimeKit;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>What one registration email says: to whom, for which organization, which code until when, in which language.</summary>
public sealed record RegistrationEmailContent(
    string ToAddress,
    string OrgId,
    string OrganizationName,
    string Code,
    DateTimeOffset ExpiresAt,
    string? Language = null,
    EmailKind Kind = EmailKind.Code);

/// <summary>
/// The registration code email: a plain-text and an HTML part with the code, its expiry, and the organization, in the
/// person's language (<see cref="EmailText"/>), the expiry written the way that language writes dates. An organization's
/// branding (<see cref="BrandingCache"/>: name, colour, logo, support contact, sender name, reply-to) and its own
/// template for the kind of email, when it has them, shape it; both come from memory, so composing costs no query.
/// </summary>
public sealed class RegistrationEmail(
    IOptionsMonitor<EmailOptions> email,
    IOptionsMonitor<PortalOptions> portal,
    IStringLocalizer<EmailText> text,
    BrandingCache brands,
    ILogger<RegistrationEmail> logger)
{
    /// <param name="outboxMessageId">The outbox row the message comes from (<see cref="EmailEnvelope.Start"/>).</param>
    public MimeMessage Compose(RegistrationEmailContent content, Guid? outboxMessageId = null)
    {
        var brand = brands.Find(content.OrgId);
        var message = EmailEnvelope.Start(email.CurrentValue.From, brand?.SenderName, content.ToAddress, outboxMessageId);
        if (brand?.ReplyTo is { } replyTo)
        {
            message.ReplyTo.Add(MailboxAddress.Parse(replyTo));
        }

        var words = Words(content, brand);
        message.Subject = words.Subject;
        message.Body = new BodyBuilder { TextBody = words.Text, HtmlBody = words.Html }.ToMessageBody();
        return message;
    }

    /// <summary>The links of a registration email: the register page and the self-service resend page, email and organization filled in.</summary>
    public (string Register, string Resend) Links(string toAddress, string orgId, string? language)
    {
        var query = $"?email={Uri.EscapeDataString(toAddress)}&orgId={Uri.EscapeDataString(orgId)}";
        if (language is not null && language != PortalLanguages.Default)
        {
            query += $"&culture={Uri.EscapeDataString(language)}";
        }

        var root = PublicRoot;
        return ($"{root}/register{query}", $"{root}/register/resend{query}");
    }

    private string PublicRoot => portal.CurrentValue.PublicBaseUrl.TrimEnd('/');

    /// <summary>The expiry as the language writes a date and time (always in UTC: the person's time zone is not known).</summary>
    public string Expiry(DateTimeOffset expiresAt, string? language)
    {
        var culture = PortalLanguages.CultureOf(language);
        return string.Format(culture, In(culture, () => text["Expires.Format"].Value), expiresAt.UtcDateTime);
    }

    private RenderedTemplate Words(RegistrationEmailContent content, Brand? brand)
    {
        var language = PortalLanguages.OrDefault(content.Language);
        var culture = PortalLanguages.CultureOf(language);
        var expires = Expiry(content.ExpiresAt, language);
        var (register, resend) = Links(content.ToAddress, content.OrgId, language);
        var name = brand?.DisplayName ?? content.OrganizationName;
        var sample = content.Kind is EmailKind.InvitationSample or EmailKind.CodeSample;
        var kind = content.Kind switch
        {
            EmailKind.InvitationSample => EmailKind.Invitation,
            EmailKind.CodeSample => EmailKind.Code,
            _ => content.Kind,
        };
        var support = brand?.SupportContact;
        var words = brand is not null && brand.Templates.TryGetValue(kind, out var template)
            ? FromTemplate(template, new TemplateValues(content.Code, expires, register, resend, name, support ?? ""), content.OrgId, kind)
            : null;
        words ??= In(culture, () => DefaultWords(content, kind, name, expires, register, resend, support));
        var html = Framed(words.Html, language, name, brand);
        return new RenderedTemplate(sample ? "[Test] " + words.Subject : words.Subject, words.Text, html);
    }

    private RenderedTemplate? FromTemplate(CompiledTemplate template, TemplateValues values, string orgId, EmailKind kind)
    {
        try
        {
            return EmailTemplates.Render(template, values);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Fluid.ParseException)
        {
            // Checked when saved; one that fails now (too much work for these values) must not keep the code from the person.
            logger.LogWarning("The {Kind} template of {OrgId} did not render ({ErrorType}); the default words are sent", kind, orgId, ex.GetType().Name);
            return null;
        }
    }

    private RenderedTemplate DefaultWords(RegistrationEmailContent content, EmailKind kind, string name, string expires, string register, string resend, string? support)
    {
        var invitation = kind == EmailKind.Invitation;
        var subject = text[invitation ? "Subject.Invitation" : "Subject.Code", name].Value;
        var intro = text[invitation ? "Intro.Invitation" : "Intro.Code", name].Value;
        var supportText = support is null ? "" : "\n\n" + text["Support", support].Value;
        var plain = $"""
            {text["Greeting"]}

            {intro}

                {content.Code}

            {text["Expiry", expires]}

            {text["Register.Text"]}
            {register}

            {text["Resend.Text"]}
            {resend}

            {text["Ignore"]}
            """ + supportText;

        var supportHtml = support is null
            ? ""
            : $"\n<p>{Encode(text["Support", "\u0001"].Value).Replace("\u0001", $"<a href=\"{Encode(BrandingRules.SupportHref(support))}\">{Encode(support)}</a>", StringComparison.Ordinal)}</p>";
        var html = $"""
            <p>{Encode(text["Greeting"])}</p>
            <p>{Encode(intro)}</p>
            <p style="font-size: 1.5em; font-family: ui-monospace, monospace; letter-spacing: 0.1em"><strong>{Encode(content.Code)}</strong></p>
            <p>{Encode(text["Expiry", expires])}</p>
            <p><a href="{Encode(register)}">{Encode(text["Register.Link"])}</a> {Encode(text["Register.After"])}</p>
            <p>{Encode(text["Resend.Lead"])} <a href="{Encode(resend)}">{Encode(text["Resend.Link"])}</a>.</p>
            <p>{Encode(text["Ignore"])}</p>
            """ + supportHtml;
        return new RenderedTemplate(subject, plain, html);
    }

    /// <summary>The HTML document around the words: the organization's colour band with its logo or name when it has them.</summary>
    private string Framed(string body, string language, string name, Brand? brand)
    {
        var band = "";
        if (brand?.PrimaryColor is not null || brand?.LogoPath is not null)
        {
            var background = brand.PrimaryColor ?? "#173f7a";
            var logo = brand.LogoPath is { } path
                ? $"<img src=\"{Encode(PublicRoot + path)}\" alt=\"{Encode(name)}\" style=\"max-height: 48px; max-width: 240px; vertical-align: middle\">"
                : $"<strong style=\"font-size: 1.2em\">{Encode(name)}</strong>";
            band = $"<div style=\"background: {background}; color: #ffffff; padding: 12px 16px; margin-bottom: 16px\">{logo}</div>\n";
        }

        return EmailEnvelope.Html(language, band + body);
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    /// <summary>Runs <paramref name="work"/> with <paramref name="culture"/> as the UI culture, which the localizer reads.</summary>
    private static T In<T>(CultureInfo culture, Func<T> work)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try
        {
            return work();
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }
}
