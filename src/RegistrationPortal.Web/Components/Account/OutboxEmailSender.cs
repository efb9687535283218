using Microsoft.AspNetCore.Identity;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Identity's emails to admins go through the outbox like every other email: queued with their audit event in one
/// write and sent (and retried) by the dispatcher, never from the request that asked for them.
/// </summary>
internal sealed class OutboxEmailSender(AccountEmailQueue queue, IHttpContextAccessor http) : IEmailSender<PortalUser>
{
    /// <summary>The actor of an anonymous "Forgot password?" request: the person at the sign-in page.</summary>
    public const string ForgotPasswordDoor = "forgot-password";

    public Task SendPasswordResetLinkAsync(PortalUser user, string email, string resetLink) =>
        queue.QueueAsync(
            user.OrgId,
            user.Id,
            email,
            new AccountEmailContent(AccountEmailKind.PasswordReset, resetLink, OrganizationName: null),
            new Actor(ActorKind.SelfService, ForgotPasswordDoor, http.HttpContext?.Connection.RemoteIpAddress?.ToString()),
            AuditActions.AdminPasswordResetRequested);

    // The portal confirms no addresses and sends no codes: an admin's account is made by a platform admin or an operator.
    public Task SendConfirmationLinkAsync(PortalUser user, string email, string confirmationLink) =>
        throw new NotSupportedException("The portal does not confirm admins' email addresses.");

    public Task SendPasswordResetCodeAsync(PortalUser user, string email, string resetCode) =>
        throw new NotSupportedException("The portal resets passwords by link.");
}
