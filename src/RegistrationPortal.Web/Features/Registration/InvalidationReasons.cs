namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Why a code stopped working before it was used, as stored in <see cref="RegistrationCode.InvalidatedReason"/>.</summary>
public static class InvalidationReasons
{
    public const string Replaced = "replaced";
    public const string Deactivated = "deactivated";
    public const string EmailCorrected = "email corrected";
}
