using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Records what an admin changed on their own account (password, second factor, recovery codes, passkeys), and a lockout
/// their wrong second-factor codes caused, in their organization's audit trail (the platform's for a platform admin),
/// the admin as actor and subject.
/// </summary>
public sealed class AccountAudit(PortalDbContext db, UserManager<PortalUser> users, WriteQueue writes, TimeProvider time, ILogger<AccountAudit> logger)
{
    /// <summary>What the page tells the admin when the change and its event could not be saved: nothing was changed.</summary>
    public const string NotSaved = "The change could not be saved, and nothing was changed. Try again.";

    /// <summary>The admin acting on their own account, from the address the request came from.</summary>
    public static Actor Self(HttpContext context, PortalUser user) => Actor.Admin(user.Id, context.Connection.RemoteIpAddress?.ToString());

    /// <summary>
    /// Makes an Identity change with its audit event in one save: the event is added to the request's context, the one
    /// Identity's store saves the change with, so the change is never stored without its event nor the event without the
    /// change. A change that fails drops the event; a save that fails (the database refused it) changes nothing and is
    /// answered as a failed change with <see cref="NotSaved"/>.
    /// </summary>
    public async Task<IdentityResult> ChangeAsync(PortalUser user, Actor actor, string action, Func<Task<IdentityResult>> change, string? details = null)
    {
        var result = await SaveWithEventAsync(user, actor, action, change, r => r.Succeeded, details);
        return result.Saved ? result.Value! : IdentityResult.Failed(new IdentityError { Code = nameof(NotSaved), Description = NotSaved });
    }

    /// <inheritdoc cref="ChangeAsync(PortalUser, Actor, string, Func{Task{IdentityResult}}, string?)"/>
    public Task<IdentityResult> ChangeAsync(HttpContext context, PortalUser user, string action, Func<Task<IdentityResult>> change, string? details = null) =>
        ChangeAsync(user, Self(context, user), action, change, details);

    /// <summary>New recovery codes with their event in one save (as <see cref="ChangeAsync(PortalUser, Actor, string, Func{Task{IdentityResult}}, string?)"/>); null when none were stored.</summary>
    public async Task<IReadOnlyList<string>?> NewRecoveryCodesAsync(HttpContext context, PortalUser user, int count)
    {
        var result = await SaveWithEventAsync(user, Self(context, user), AuditActions.AdminRecoveryCodesGenerated, async () => (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, count))?.ToList(), codes => codes is not null, null);
        return result.Value;
    }

    /// <summary>
    /// Records what Identity's sign-in saved on its own and tells only afterwards (a recovery code used, a lockout): the
    /// outcome is not known before its save, so the event follows it, through the writer.
    /// </summary>
    public Task RecordAsync(HttpContext context, PortalUser user, string action, string? details = null) =>
        writes.ExecuteAsync(w =>
        {
            w.Audit(time.GetUtcNow(), user.OrgId, action, Self(context, user), user.Id, details);
            return Task.FromResult(true);
        });

    private async Task<(bool Saved, T? Value)> SaveWithEventAsync<T>(PortalUser user, Actor actor, string action, Func<Task<T>> change, Func<T, bool> succeeded, string? details)
    {
        var entry = db.AuditEvents.Add(AuditExtensions.Event(time.GetUtcNow(), user.OrgId, action, actor, user.Id, details));
        T value;
        try
        {
            value = await change();
        }
        catch (DbUpdateException ex)
        {
            // Nothing of the change was stored; what it left tracked must not be saved by a later save of the request.
            logger.LogError(ex, "An account change ({Action}) of {UserId} could not be saved", action, user.Id);
            db.ChangeTracker.Clear();
            return (false, default);
        }
        catch
        {
            entry.State = EntityState.Detached;
            throw;
        }

        if (!succeeded(value))
        {
            entry.State = EntityState.Detached;
        }
        else if (entry.State == EntityState.Added)
        {
            // The change succeeded without a save of its own: its event is not to be lost for that.
            await db.SaveChangesAsync();
        }

        return (true, value);
    }
}
