using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>What inviting a list did, line by line counted.</summary>
public sealed record BulkInviteSummary(int Invited, int DuplicatesInList, int AlreadyInOrganization, int Invalid, int Failed)
{
    public int Duplicates => DuplicatesInList + AlreadyInOrganization;
}

/// <summary>
/// Inviting users from the admin portal, one or a list, into the admin's organization only (<see cref="AdminScope"/>).
/// Each invitation is <see cref="RegistrationService.InviteAsync"/>: the user, their first code, its email and the
/// audit events in one transaction.
/// </summary>
public sealed class OrgUserInviteService(
    IDbContextFactory<PortalDbContext> contexts,
    RegistrationService registration,
    WriteQueue writes,
    TimeProvider time,
    ILogger<OrgUserInviteService> logger)
{
    /// <summary>Invitations in flight at once: enough for the write queue to commit them together, few enough to keep progress moving.</summary>
    public const int BatchSize = 64;

    // Well under SQLite's limit of host parameters per statement.
    private const int LookupChunk = 500;

    public async Task<InviteOutcome> InviteAsync(AdminScope scope, string email, UserKind kind, string? clientAddress, string? language = null)
    {
        var outcome = await registration.InviteAsync(scope.OrgId, email, kind, Actor.Admin(scope.AdminId, clientAddress), language);
        if (outcome.Status == InviteStatus.UnknownOrganization)
        {
            await DenyAsync(scope, clientAddress);
        }

        return outcome;
    }

    /// <summary>The list with the lines whose address the admin's organization already has marked.</summary>
    public async Task<InviteList> PreviewAsync(AdminScope scope, InviteList list, CancellationToken ct = default)
    {
        if (list.Error is not null)
        {
            return list;
        }

        var wanted = list.Lines.Where(l => l.IsReady).Select(l => EmailAddress.Normalize(l.Email)).Distinct().ToList();
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using var db = await contexts.CreateDbContextAsync(ct);
        foreach (var chunk in wanted.Chunk(LookupChunk))
        {
            var found = await db.OrgUsers.AsNoTracking()
                .Where(u => u.OrgId == scope.OrgId && chunk.Contains(u.NormalizedUsername))
                .Select(u => u.NormalizedUsername)
                .ToListAsync(ct);
            existing.UnionWith(found);
        }

        return list.MarkExisting(existing);
    }

    /// <summary>
    /// Invites every ready line of a previewed list. Lines are sent to the write queue <see cref="BatchSize"/> at a
    /// time, so they commit together; each invitation still stands or falls alone. A line that became a duplicate
    /// since the preview counts as already in the organization. <paramref name="progress"/> hears how many lines are done.
    /// </summary>
    public async Task<BulkInviteSummary> InviteManyAsync(AdminScope scope, InviteList list, string? clientAddress, Func<int, Task>? progress = null, CancellationToken ct = default)
    {
        var actor = Actor.Admin(scope.AdminId, clientAddress);
        var ready = list.Lines.Where(l => l.IsReady).ToList();
        int invited = 0, already = 0, invalid = 0, failed = 0, done = 0;
        var deniedOnce = false;
        foreach (var batch in ready.Chunk(BatchSize))
        {
            if (ct.IsCancellationRequested)
            {
                break;
            }

            var outcomes = await Task.WhenAll(batch.Select(line => InviteOneAsync(scope.OrgId, line, actor)));
            foreach (var outcome in outcomes)
            {
                switch (outcome?.Status)
                {
                    case InviteStatus.Invited:
                        invited++;
                        break;
                    case InviteStatus.DuplicateEmail:
                        already++;
                        break;
                    case InviteStatus.InvalidEmail:
                        invalid++;
                        break;
                    case InviteStatus.UnknownOrganization:
                        failed++;
                        deniedOnce = true;
                        break;
                    default:
                        failed++;
                        break;
                }
            }

            done += batch.Length;
            if (progress is not null)
            {
                await progress(done);
            }
        }

        if (deniedOnce)
        {
            await DenyAsync(scope, clientAddress);
        }

        return new BulkInviteSummary(
            invited,
            list.DuplicatesInList,
            list.AlreadyInOrganization + already,
            list.Invalid + invalid,
            failed + (ready.Count - done));
    }

    private async Task<InviteOutcome?> InviteOneAsync(string orgId, InviteLine line, Actor actor)
    {
        try
        {
            return await registration.InviteAsync(orgId, line.Email, line.Kind!.Value, actor, line.Language);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One line's failure (the write queue rolled back its savepoint) must not end the others: it is counted as failed.
            logger.LogWarning(ex, "Invitation of line {Line} into {OrgId} failed", line.LineNumber, orgId);
            return null;
        }
    }

    private Task<bool> DenyAsync(AdminScope scope, string? clientAddress) =>
        PortalDenials.AuditAsync(writes, time, scope.OrgId, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId, "invite: no such organization");
}
