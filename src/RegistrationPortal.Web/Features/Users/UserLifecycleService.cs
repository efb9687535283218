using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>
/// A pending user's lifecycle: deactivate, reactivate, correct a mistyped address. Each is one transaction in the
/// <see cref="WriteQueue"/>; the codes it kills or issues go through <see cref="RegistrationService"/>, the only place
/// codes are made or invalidated, in that same transaction.
/// </summary>
public sealed class UserLifecycleService(WriteQueue writes, RegistrationService registration, EmailSignal emailSignal, TimeProvider time)
{
    /// <summary>
    /// Deactivates a pending user: every outstanding code dies (reason "deactivated") in the same transaction, so
    /// neither a queued email nor a code already in the user's hands works afterwards.
    /// </summary>
    public Task<UserStateOutcome> DeactivateAsync(string orgId, string userId, Actor actor) =>
        SetActiveAsync(orgId, userId, active: false, async (db, now) =>
        {
            var invalidated = await RegistrationService.InvalidateOutstandingCodesAsync(db, userId, now, InvalidationReasons.Deactivated);
            db.Audit(now, orgId, AuditActions.UserDeactivated, actor, userId, $"{invalidated} outstanding code(s) invalidated");
            return invalidated;
        });

    /// <summary>
    /// Makes a deactivated user pending again. No code is issued: the codes deactivation killed stay dead, and the
    /// admin sends a new one when the user should get it.
    /// </summary>
    public Task<UserStateOutcome> ReactivateAsync(string orgId, string userId, Actor actor) =>
        SetActiveAsync(orgId, userId, active: true, (db, now) =>
        {
            db.Audit(now, orgId, AuditActions.UserReactivated, actor, userId);
            return Task.FromResult(0);
        });

    /// <summary>
    /// Sets a pending user's state in one write, the user's row locked: an unknown user, a registered one, or one
    /// already in that state is left as it is; otherwise <paramref name="change"/> does the rest of the write and
    /// returns how many codes it invalidated.
    /// </summary>
    private Task<UserStateOutcome> SetActiveAsync(string orgId, string userId, bool active, Func<PortalDbContext, DateTimeOffset, Task<int>> change) =>
        writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            var user = await db.OrgUsers.ForUpdate().FirstOrDefaultAsync(u => u.Id == userId && u.OrgId == orgId);
            if (user is null)
            {
                return new UserStateOutcome(UserStateStatus.Unknown);
            }

            if (user.IsRegistered)
            {
                return new UserStateOutcome(UserStateStatus.AlreadyRegistered, user.Username);
            }

            if (user.IsActive == active)
            {
                return new UserStateOutcome(UserStateStatus.Unchanged, user.Username);
            }

            user.IsActive = active;
            return new UserStateOutcome(UserStateStatus.Changed, user.Username, await change(db, now));
        });

    /// <summary>
    /// Corrects a pending user's mistyped address in one transaction: the address changes, every earlier code dies
    /// (reason "email corrected"), and a new code is queued for the new address. The resend throttle does not apply:
    /// the old address never received a usable code, and the change is an audited admin action.
    /// </summary>
    public async Task<CorrectEmailOutcome> CorrectEmailAsync(string orgId, string userId, string newEmail, Actor actor)
    {
        if (!EmailAddress.IsValid(newEmail))
        {
            return new CorrectEmailOutcome(CorrectEmailStatus.InvalidEmail);
        }

        var code = registration.PrepareCode();
        var outcome = await writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            var user = await db.OrgUsers.ForUpdate().FirstOrDefaultAsync(u => u.Id == userId && u.OrgId == orgId);
            if (user is null)
            {
                return new CorrectEmailOutcome(CorrectEmailStatus.Unknown);
            }

            var oldEmail = user.Username;
            if (user.IsRegistered || !user.IsActive)
            {
                return new CorrectEmailOutcome(user.IsRegistered ? CorrectEmailStatus.AlreadyRegistered : CorrectEmailStatus.Deactivated, oldEmail);
            }

            var email = newEmail.Trim();
            var normalized = EmailAddress.Normalize(email);
            if (normalized == user.NormalizedUsername)
            {
                return new CorrectEmailOutcome(CorrectEmailStatus.SameEmail, oldEmail, email);
            }

            if (await db.OrgUsers.AnyAsync(u => u.OrgId == orgId && u.NormalizedUsername == normalized))
            {
                return new CorrectEmailOutcome(CorrectEmailStatus.DuplicateEmail, oldEmail, email);
            }

            user.Username = email;
            user.NormalizedUsername = normalized;
            db.Audit(now, orgId, AuditActions.UserEmailCorrected, actor, userId, $"from {oldEmail} to {email}");
            var expiresAt = await registration.IssueCodeAsync(db, orgId, userId, email, actor, now, code, InvalidationReasons.EmailCorrected);
            return new CorrectEmailOutcome(CorrectEmailStatus.Sent, oldEmail, email, expiresAt);
        });

        if (outcome.Status == CorrectEmailStatus.Sent)
        {
            emailSignal.Notify();
        }

        return outcome;
    }
}
