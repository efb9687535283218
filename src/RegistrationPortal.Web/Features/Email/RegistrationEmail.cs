using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using MimeKit;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>The registration code email: a plain-text and an HTML part with the code, its expiry, and the organization.</summary>
public sealed class RegistrationEmail(IOptionsMonitor<EmailOptions> email, IOptionsMonitor<PortalOptions> portal)
{
    private const string OutboxPrefix = "outbox-";

    /// <param name="outboxMessageId">The outbox row the message comes from: it becomes the Message-ID, the same on every
    /// attempt (so a mail client folds a message delivered twice into one), and tells the development mailbox which
    /// organization sent it.</param>
    public MimeMessage Compose(string toAddress, string organizationName, string orgId, string code, DateTimeOffset expiresAt, Guid? outboxMessageId = null)
    {
        var message = new MimeMessage();
        var from = MailboxAddress.Parse(email.CurrentValue.From);
        message.From.Add(from);
        if (outboxMessageId is { } outboxId)
        {
            message.MessageId = $"{OutboxPrefix}{outboxId:N}@{from.Domain}";
        }

        message.To.Add(MailboxAddress.Parse(toAddress));
        message.Subject = $"Your registration code for {organizationName}";

        var expires = expiresAt.UtcDateTime.ToString("dddd d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var query = $"?email={Uri.EscapeDataString(toAddress)}&orgId={Uri.EscapeDataString(orgId)}";
        var register = $"{portal.CurrentValue.PublicBaseUrl.TrimEnd('/')}/register{query}";
        var link = $"{portal.CurrentValue.PublicBaseUrl.TrimEnd('/')}/register/resend{query}";

        var text = $"""
            Hello,

            {organizationName} invited you to register. Your registration code is:

                {code}

            It expires on {expires}. Any code sent to you before this one no longer works.

            Register here with this code (you will create a passkey):
            {register}

            Lost it or too late? Ask for a new code here:
            {link}

            If you did not expect this email, you can ignore it.
            """;

        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>{WebUtility.HtmlEncode(organizationName)} invited you to register. Your registration code is:</p>
            <p style="font-size: 1.5em; font-family: ui-monospace, monospace; letter-spacing: 0.1em"><strong>{code}</strong></p>
            <p>It expires on {WebUtility.HtmlEncode(expires)}. Any code sent to you before this one no longer works.</p>
            <p><a href="{WebUtility.HtmlEncode(register)}">Register with this code</a> (you will create a passkey).</p>
            <p>Lost it or too late? <a href="{WebUtility.HtmlEncode(link)}">Ask for a new code</a>.</p>
            <p>If you did not expect this email, you can ignore it.</p>
            </body></html>
            """;

        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>The outbox row a message was composed from, read from its Message-ID; null for any other message.</summary>
    public static Guid? OutboxMessageIdOf(MimeMessage message) =>
        message.MessageId is { } id && id.StartsWith(OutboxPrefix, StringComparison.Ordinal) && id.IndexOf('@', StringComparison.Ordinal) is var at && at > 0
            && Guid.TryParseExact(id[OutboxPrefix.Length..at], "N", out var outboxId)
            ? outboxId
            : null;
}
