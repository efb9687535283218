namespace RegistrationPortal.Web.Features.Users;

public enum CorrectEmailStatus
{
    /// <summary>The address was changed, the old code invalidated and a new code queued for the new address.</summary>
    Sent,
    InvalidEmail,

    /// <summary>The new address is the user's current one (ignoring case).</summary>
    SameEmail,

    /// <summary>Another user of the organization has that address.</summary>
    DuplicateEmail,
    AlreadyRegistered,
    Deactivated,

    /// <summary>No such user in that organization.</summary>
    Unknown,
}
