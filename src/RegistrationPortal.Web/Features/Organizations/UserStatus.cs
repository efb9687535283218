namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>Where a user stands: invited, registered, or deactivated before registering.</summary>
public enum UserStatus
{
    Pending,
    Registered,
    Deactivated,
}
