namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>The users a list shows: one status, or all.</summary>
public enum UserStatusFilter
{
    Pending,
    Registered,
    Deactivated,
    All,
}
