namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The words of the public pages (self-service resend, register, registered), in every language
/// (<c>PublicText.*.resx</c>), read through <c>IStringLocalizer&lt;PublicText&gt;</c> in the request's culture.
/// </summary>
public sealed class PublicText;
