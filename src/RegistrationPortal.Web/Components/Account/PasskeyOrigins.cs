using Microsoft.AspNetCore.Identity;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Which origins a passkey ceremony may come from: the origin this request reached the host at (its scheme and host,
/// as a trusted proxy's forwarded headers set them) or the origin of <c>Portal:PublicBaseUrl</c>; never from a frame of
/// another site. It does not read the request's <c>Origin</c> header, which the portal's <c>Referrer-Policy:
/// no-referrer</c> turns into <c>null</c> on every form post (and which says only what the sender claims).
/// </summary>
public static class PasskeyOrigins
{
    /// <summary><c>scheme://host[:port]</c> of an absolute address, or null.</summary>
    public static string? OriginOf(string? address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;

    public static bool IsValid(PasskeyOriginValidationContext context, string? publicOrigin)
    {
        ArgumentNullException.ThrowIfNull(context);
        // An origin is scheme://host[:port] and nothing more.
        if (context.CrossOrigin || context.TopOrigin is not null || OriginOf(context.Origin) is not { } origin
            || !string.Equals(origin, context.Origin, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var request = context.HttpContext.Request;
        var requestOrigin = OriginOf($"{request.Scheme}://{request.Host.Value}");
        return string.Equals(origin, requestOrigin, StringComparison.OrdinalIgnoreCase)
            || string.Equals(origin, publicOrigin, StringComparison.OrdinalIgnoreCase);
    }
}
