using Microsoft.AspNetCore.Identity;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Identity's lookup keys (the upper-cased email and user name every sign-in, forgotten-password and reset form looks an
/// admin up by), as Identity's default makes them, except that a character no stored address can hold (NUL and the other
/// control characters, half of a surrogate pair) becomes U+FFFD: such a key matches no admin, as before, and PostgreSQL,
/// which refuses a NUL in any text, is asked an ordinary question instead of failing the page (a form posted as
/// multipart, or a reset link whose address carries <c>%00</c>, brought one in). Unicode normalization threw on half a
/// surrogate pair, on either database.
/// </summary>
public sealed class PortalLookupNormalizer : ILookupNormalizer
{
    public string? NormalizeName(string? name) => Normalize(name);

    public string? NormalizeEmail(string? email) => Normalize(email);

    private static string? Normalize(string? key) =>
        key is null ? null : UnicodeText.Replace(key, char.IsControl, '\uFFFD').Normalize().ToUpperInvariant();
}
