namespace RegistrationPortal.Web.Features.Registration;

public enum InviteStatus
{
    Invited,
    DuplicateEmail,
    UnknownOrganization,
    InvalidEmail,
}
