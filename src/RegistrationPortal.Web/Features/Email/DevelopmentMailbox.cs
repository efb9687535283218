using MimeKit;

namespace RegistrationPortal.Web.Features.Email;

public sealed record MailboxEntry(string Id, string? To, string Subject, DateTimeOffset Date);

public sealed record MailboxMessage(MailboxEntry Entry, string Text);

/// <summary>The pickup folder read as a mailbox, so the whole flow can be tried with no mail server (Development only).</summary>
public sealed class DevelopmentMailbox(PickupDirectoryEmailTransport pickup)
{
    public const int MaxListed = 200;

    /// <summary>The newest messages first.</summary>
    public async Task<IReadOnlyList<MailboxEntry>> ListAsync(CancellationToken ct = default)
    {
        if (!Directory.Exists(pickup.Directory))
        {
            return [];
        }

        var entries = new List<MailboxEntry>();

        // File names start with the UTC time they were written, so a name sort is a time sort.
        foreach (var file in Directory.EnumerateFiles(pickup.Directory, "*.eml").OrderDescending(StringComparer.Ordinal).Take(MaxListed))
        {
            var message = await MimeMessage.LoadAsync(file, ct);
            entries.Add(ToEntry(Path.GetFileName(file), message));
        }

        return entries;
    }

    public async Task<MailboxMessage?> ReadAsync(string id, CancellationToken ct = default)
    {
        // Only a plain file name from the listing: no path can leave the pickup folder.
        if (id != Path.GetFileName(id) || !id.EndsWith(".eml", StringComparison.Ordinal))
        {
            return null;
        }

        var file = Path.Combine(pickup.Directory, id);
        if (!File.Exists(file))
        {
            return null;
        }

        var message = await MimeMessage.LoadAsync(file, ct);
        return new MailboxMessage(ToEntry(id, message), message.TextBody ?? string.Empty);
    }

    private static MailboxEntry ToEntry(string id, MimeMessage message) =>
        new(id, message.To.Mailboxes.FirstOrDefault()?.Address, message.Subject ?? "(no subject)", message.Date);
}
