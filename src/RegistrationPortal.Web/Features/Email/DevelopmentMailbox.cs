using Microsoft.EntityFrameworkCore;
using MimeKit;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

public sealed record MailboxEntry(string Id, string? To, string Subject, DateTimeOffset Date);

public sealed record MailboxMessage(MailboxEntry Entry, string Text);

/// <summary>
/// The pickup folder read as a mailbox, so the whole flow can be tried with no mail server (Development only). The
/// folder holds every organization's mail, codes included, so an admin sees only the messages their organization's
/// outbox sent: each file names its outbox row in its Message-ID, and the row names the organization. (Matching by
/// recipient would show an admin another organization's code mailed to an address both organizations have.) Opening a
/// message leaves an audit event in the admin's organization.
/// </summary>
public sealed class DevelopmentMailbox(
    PickupDirectoryEmailTransport pickup,
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    TimeProvider time)
{
    public const int MaxListed = 200;

    /// <summary>How many of the newest files are read to find the organization's messages.</summary>
    public const int MaxRead = 2_000;

    /// <summary>The newest messages the organization sent first.</summary>
    public async Task<IReadOnlyList<MailboxEntry>> ListAsync(AdminScope scope, CancellationToken ct = default)
    {
        if (!Directory.Exists(pickup.Directory))
        {
            return [];
        }

        // File names start with the UTC time they were written, so a name sort is a time sort.
        var read = new List<(MailboxEntry Entry, Guid? OutboxId)>();
        foreach (var file in Directory.EnumerateFiles(pickup.Directory, "*.eml").OrderDescending(StringComparer.Ordinal).Take(MaxRead))
        {
            using var message = await MimeMessage.LoadAsync(file, ct);
            read.Add((ToEntry(Path.GetFileName(file), message), EmailEnvelope.OutboxMessageIdOf(message)));
        }

        var theirs = await SentByAsync(scope, read.Select(r => r.OutboxId).OfType<Guid>(), ct);
        return read.Where(r => r.OutboxId is { } id && theirs.ContainsKey(id)).Select(r => r.Entry).Take(MaxListed).ToList();
    }

    /// <summary>
    /// One message the organization sent, by its file name from the listing; null for another organization's or an
    /// unknown one. Each view is audited (the admin has read a user's code).
    /// </summary>
    public async Task<MailboxMessage?> ReadAsync(AdminScope scope, string id, string? clientAddress = null, CancellationToken ct = default)
    {
        using var message = await LoadAsync(id, ct);
        if (message is null || EmailEnvelope.OutboxMessageIdOf(message) is not { } outboxId
            || !(await SentByAsync(scope, [outboxId], ct)).TryGetValue(outboxId, out var userId))
        {
            return null;
        }

        await writes.ExecuteAsync(db =>
        {
            db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.MailboxViewed, Actor.Admin(scope.AdminId, clientAddress), userId, $"development mailbox: message {outboxId:N}");
            return Task.FromResult(true);
        });
        return new MailboxMessage(ToEntry(id, message), message.TextBody ?? string.Empty);
    }

    /// <summary>Of these outbox rows, those of the scope's organization, with the user each was sent to.</summary>
    private async Task<Dictionary<Guid, string>> SentByAsync(AdminScope scope, IEnumerable<Guid> outboxIds, CancellationToken ct)
    {
        var ids = outboxIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.OutboxMessages.AsNoTracking()
            .Where(m => m.OrgId == scope.OrgId && ids.Contains(m.Id))
            .Select(m => new { m.Id, m.UserId })
            .ToDictionaryAsync(m => m.Id, m => m.UserId, ct);
    }

    private async Task<MimeMessage?> LoadAsync(string id, CancellationToken ct)
    {
        // Only a plain file name from the listing: no path can leave the pickup folder.
        if (id != Path.GetFileName(id) || !id.EndsWith(".eml", StringComparison.Ordinal))
        {
            return null;
        }

        var file = Path.Combine(pickup.Directory, id);
        return File.Exists(file) ? await MimeMessage.LoadAsync(file, ct) : null;
    }

    private static MailboxEntry ToEntry(string id, MimeMessage message) =>
        new(id, message.To.Mailboxes.FirstOrDefault()?.Address, message.Subject ?? "(no subject)", message.Date);
}
