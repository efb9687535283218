using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>What a temporary authentication token says: whose registration, which challenge row, until when.</summary>
public sealed record RegistrationTokenClaims(string UserId, Guid ChallengeId, string OrgId, string Username, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// The temporary authentication token of init: a compact HS256 JWT. The Dfns SDK reads the org id out of its
/// payload (<c>https://custom/app_metadata</c>), so it has to be a real JWT; a two-part HMAC is all it needs, so it
/// is built here rather than with a JWT package. Single use is the challenge row's business, not the token's.
/// </summary>
public static class RegistrationToken
{
    public const string Issuer = "registration-portal";
    public const string AppMetadataClaim = "https://custom/app_metadata";

    private const int MaxLength = 4096;

    // Fixed bytes: the header never varies, so a token whose header differs in any way is refused.
    private static readonly string EncodedHeader = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    public static string Create(byte[] key, RegistrationTokenClaims claims)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", Issuer);
            writer.WriteString("sub", claims.UserId);
            writer.WriteString("jti", claims.ChallengeId.ToString("D"));
            writer.WriteNumber("iat", claims.IssuedAt.ToUnixTimeSeconds());
            writer.WriteNumber("exp", claims.ExpiresAt.ToUnixTimeSeconds());
            writer.WriteString("username", claims.Username);
            writer.WriteStartObject(AppMetadataClaim);
            writer.WriteString("orgId", claims.OrgId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var signingInput = EncodedHeader + "." + Base64Url.EncodeToString(buffer.ToArray());
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The token's claims when its signature, issuer and expiry hold at <paramref name="now"/>; otherwise null.</summary>
    public static RegistrationTokenClaims? Read(byte[] key, string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return null;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !string.Equals(parts[0], EncodedHeader, StringComparison.Ordinal)
            || !IsBase64Url(parts[1]) || !IsBase64Url(parts[2]))
        {
            return null;
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        var given = Base64Url.DecodeFromChars(parts[2]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || String(root, "iss") != Issuer
                || String(root, "sub") is not { } userId || !Ids.IsValid(userId, Ids.User)
                || !Guid.TryParseExact(String(root, "jti"), "D", out var challengeId)
                || String(root, "username") is not { } username
                || !root.TryGetProperty("iat", out var iat) || !iat.TryGetInt64(out var issuedAt)
                || !root.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expiresAt)
                || !root.TryGetProperty(AppMetadataClaim, out var metadata) || metadata.ValueKind != JsonValueKind.Object
                || String(metadata, "orgId") is not { } orgId || !Ids.IsValid(orgId, Ids.Organization))
            {
                return null;
            }

            var expiry = DateTimeOffset.FromUnixTimeSeconds(expiresAt);
            if (now >= expiry)
            {
                return null;
            }

            return new RegistrationTokenClaims(userId, challengeId, orgId, username, DateTimeOffset.FromUnixTimeSeconds(issuedAt), expiry);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsBase64Url(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && Base64Url.IsValid(text);
}
