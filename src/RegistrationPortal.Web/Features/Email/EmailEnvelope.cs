using MimeKit;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>What every email the portal sends shares: the configured sender, a Message-ID from its outbox row, the HTML document.</summary>
public static class EmailEnvelope
{
    private const string OutboxPrefix = "outbox-";

    /// <summary>A message from <paramref name="from"/> (<c>Email:From</c>; under <paramref name="senderName"/> when given) to <paramref name="toAddress"/>.</summary>
    /// <param name="outboxMessageId">The outbox row the message comes from: it becomes the Message-ID, the same on every
    /// attempt (so a mail client folds a message delivered twice into one), and tells the development mailbox which row
    /// it was.</param>
    public static MimeMessage Start(string from, string? senderName, string toAddress, Guid? outboxMessageId)
    {
        var message = new MimeMessage();
        var sender = MailboxAddress.Parse(from);
        message.From.Add(senderName is null ? sender : new MailboxAddress(senderName, sender.Address));
        if (outboxMessageId is { } outboxId)
        {
            message.MessageId = $"{OutboxPrefix}{outboxId:N}@{sender.Domain}";
        }

        message.To.Add(MailboxAddress.Parse(toAddress));
        return message;
    }

    /// <summary>The HTML document around an email's words (already encoded).</summary>
    public static string Html(string language, string body) => $"""
        <!DOCTYPE html>
        <html lang="{language}"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
        {body}
        </body></html>
        """;

    /// <summary>The outbox row a message was composed from, read from its Message-ID; null for any other message.</summary>
    public static Guid? OutboxMessageIdOf(MimeMessage message) =>
        message.MessageId is { } id && id.StartsWith(OutboxPrefix, StringComparison.Ordinal) && id.IndexOf('@', StringComparison.Ordinal) is var at && at > 0
            && Guid.TryParseExact(id[OutboxPrefix.Length..at], "N", out var outboxId)
            ? outboxId
            : null;
}
