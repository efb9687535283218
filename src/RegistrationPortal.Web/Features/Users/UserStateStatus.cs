namespace RegistrationPortal.Web.Features.Users;

public enum UserStateStatus
{
    /// <summary>The user is now in the state asked for.</summary>
    Changed,

    /// <summary>The user already was in that state; nothing changed.</summary>
    Unchanged,

    /// <summary>The user has registered; activation no longer applies to them.</summary>
    AlreadyRegistered,

    /// <summary>No such user in that organization.</summary>
    Unknown,
}
