using Microsoft.EntityFrameworkCore;
using MimeKit;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Web.Features.Email;

public sealed record MailboxEntry(string Id, string? To, string Subject, DateTimeOffset Date);

public sealed record MailboxMessage(MailboxEntry Entry, string Text);

/// <summary>
/// The pickup folder read as a mailbox, so the whole flow can be tried with no mail server (Development only). The
/// folder holds every organization's mail, codes included, so an admin sees only the messages to users of the
/// organization they work in.
/// </summary>
public sealed class DevelopmentMailbox(PickupDirectoryEmailTransport pickup, IDbContextFactory<PortalDbContext> contexts)
{
    public const int MaxListed = 200;

    /// <summary>How many of the newest files are read to find the organization's messages.</summary>
    public const int MaxRead = 2_000;

    /// <summary>The newest messages to the organization's users first.</summary>
    public async Task<IReadOnlyList<MailboxEntry>> ListAsync(AdminScope scope, CancellationToken ct = default)
    {
        if (!Directory.Exists(pickup.Directory))
        {
            return [];
        }

        // File names start with the UTC time they were written, so a name sort is a time sort.
        var entries = new List<MailboxEntry>();
        foreach (var file in Directory.EnumerateFiles(pickup.Directory, "*.eml").OrderDescending(StringComparer.Ordinal).Take(MaxRead))
        {
            var message = await MimeMessage.LoadAsync(file, ct);
            entries.Add(ToEntry(Path.GetFileName(file), message));
        }

        var theirs = await RecipientsInAsync(scope, entries.Select(e => e.To), ct);
        return entries.Where(e => e.To is not null && theirs.Contains(EmailAddress.Normalize(e.To))).Take(MaxListed).ToList();
    }

    public async Task<MailboxMessage?> ReadAsync(AdminScope scope, string id, CancellationToken ct = default)
    {
        var message = await ReadAsync(id, ct);
        return message?.Entry.To is { } to && (await RecipientsInAsync(scope, [to], ct)).Count == 1 ? message : null;
    }

    /// <summary>The normalized addresses among <paramref name="addresses"/> that belong to users of the scope's organization.</summary>
    private async Task<HashSet<string>> RecipientsInAsync(AdminScope scope, IEnumerable<string?> addresses, CancellationToken ct)
    {
        var normalized = addresses.OfType<string>().Select(EmailAddress.Normalize).Distinct(StringComparer.Ordinal).ToList();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var found = await db.OrgUsers.AsNoTracking()
            .Where(u => u.OrgId == scope.OrgId && normalized.Contains(u.NormalizedUsername))
            .Select(u => u.NormalizedUsername)
            .ToListAsync(ct);
        return found.ToHashSet(StringComparer.Ordinal);
    }

    private async Task<MailboxMessage?> ReadAsync(string id, CancellationToken ct)
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
