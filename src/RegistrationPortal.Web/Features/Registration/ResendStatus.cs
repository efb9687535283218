namespace RegistrationPortal.Web.Features.Registration;

public enum ResendStatus
{
    Sent,
    AlreadyRegistered,
    Deactivated,

    /// <summary>No such user in that organization, or no such organization.</summary>
    Unknown,
    Throttled,

    /// <summary>The request's nonce had been used before; nothing else was looked at.</summary>
    NonceReplayed,
}
