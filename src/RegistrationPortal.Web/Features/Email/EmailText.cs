namespace RegistrationPortal.Web.Features.Email;

/// <summary>The words of the registration email, in every language (<c>EmailText.*.resx</c>), read through <c>IStringLocalizer&lt;EmailText&gt;</c>.</summary>
public sealed class EmailText;
