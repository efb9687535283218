using Microsoft.AspNetCore.Identity;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// The emails that let an admin choose a password, as Organizations asks for them; Email sends them (its
/// <c>AdminInvitations</c>), through the outbox, each with its audit event.
/// </summary>
public interface IAdminEmails
{
    /// <summary>Emails <paramref name="admin"/> an invitation to choose a password, naming their organization.</summary>
    Task InviteAsync(UserManager<PortalUser> users, PortalUser admin, Actor actor);

    /// <summary>Emails <paramref name="admin"/> the forgotten-password email.</summary>
    Task SendPasswordResetAsync(UserManager<PortalUser> users, PortalUser admin, Actor actor);
}
