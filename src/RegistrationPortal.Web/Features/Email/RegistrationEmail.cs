using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Localization;
using MimeKit;
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
/// person's language (<see cref="EmailText"/>), the expiry written the way that language writes dates.
/// </summary>
public sealed class RegistrationEmail(IOptionsMonitor<EmailOptions> email, IOptionsMonitor<PortalOptions> portal, IStringLocalizer<EmailText> text)
{
    private const string OutboxPrefix = "outbox-";

    /// <param name="outboxMessageId">The outbox row the message comes from: it becomes the Message-ID, the same on every
    /// attempt (so a mail client folds a message delivered twice into one), and tells the development mailbox which
    /// organization sent it.</param>
    public MimeMessage Compose(RegistrationEmailContent content, Guid? outboxMessageId = null)
    {
        var message = new MimeMessage();
        var from = MailboxAddress.Parse(email.CurrentValue.From);
        message.From.Add(from);
        if (outboxMessageId is { } outboxId)
        {
            message.MessageId = $"{OutboxPrefix}{outboxId:N}@{from.Domain}";
        }

        message.To.Add(MailboxAddress.Parse(content.ToAddress));
        var words = Words(content);
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

        var root = portal.CurrentValue.PublicBaseUrl.TrimEnd('/');
        return ($"{root}/register{query}", $"{root}/register/resend{query}");
    }

    /// <summary>The expiry as the language writes a date and time (always in UTC: the person's time zone is not known).</summary>
    public string Expiry(DateTimeOffset expiresAt, string? language)
    {
        var culture = PortalLanguages.CultureOf(language);
        return string.Format(culture, In(culture, () => text["Expires.Format"].Value), expiresAt.UtcDateTime);
    }

    private (string Subject, string Text, string Html) Words(RegistrationEmailContent content)
    {
        var language = PortalLanguages.OrDefault(content.Language);
        var culture = PortalLanguages.CultureOf(language);
        var expires = Expiry(content.ExpiresAt, language);
        var (register, resend) = Links(content.ToAddress, content.OrgId, language);
        return In(culture, () =>
        {
            var name = content.OrganizationName;
            var invitation = content.Kind == EmailKind.Invitation;
            var subject = text[invitation ? "Subject.Invitation" : "Subject.Code", name].Value;
            var intro = text[invitation ? "Intro.Invitation" : "Intro.Code", name].Value;
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
                """;

            var html = $"""
                <!DOCTYPE html>
                <html lang="{language}"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
                <p>{Encode(text["Greeting"])}</p>
                <p>{Encode(intro)}</p>
                <p style="font-size: 1.5em; font-family: ui-monospace, monospace; letter-spacing: 0.1em"><strong>{Encode(content.Code)}</strong></p>
                <p>{Encode(text["Expiry", expires])}</p>
                <p><a href="{Encode(register)}">{Encode(text["Register.Link"])}</a> {Encode(text["Register.After"])}</p>
                <p>{Encode(text["Resend.Lead"])} <a href="{Encode(resend)}">{Encode(text["Resend.Link"])}</a>.</p>
                <p>{Encode(text["Ignore"])}</p>
                </body></html>
                """;
            return (subject, plain, html);
        });
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

    /// <summary>The outbox row a message was composed from, read from its Message-ID; null for any other message.</summary>
    public static Guid? OutboxMessageIdOf(MimeMessage message) =>
        message.MessageId is { } id && id.StartsWith(OutboxPrefix, StringComparison.Ordinal) && id.IndexOf('@', StringComparison.Ordinal) is var at && at > 0
            && Guid.TryParseExact(id[OutboxPrefix.Length..at], "N", out var outboxId)
            ? outboxId
            : null;
}
