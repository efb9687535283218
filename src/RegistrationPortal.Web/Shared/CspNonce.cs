using System.Security.Cryptography;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// This request's script nonce, made on first use (a page asks for it while rendering its head); the security headers
/// (Operations) put the same value in the page's Content-Security-Policy.
/// </summary>
public static class CspNonce
{
    private const string NonceKey = "RegistrationPortal.CspNonce";

    public static string Of(HttpContext context)
    {
        if (context.Items[NonceKey] is string nonce)
        {
            return nonce;
        }

        // Base64url: no '+' or '/', so the value reads the same in the header and, HTML-encoded, in the page.
        nonce = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
        context.Items[NonceKey] = nonce;
        return nonce;
    }
}
