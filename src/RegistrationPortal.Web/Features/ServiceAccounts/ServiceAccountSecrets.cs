using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.ServiceAccounts;

/// <summary>
/// The service accounts' secrets, hashed as registration codes are (HMAC-SHA-256 under a server key, here a key
/// derived from the code-hashing key, so one secret in configuration or the database covers both): bearer tokens,
/// user-action challenge identifiers and user-action tokens. The plaintext is shown once and never stored.
/// </summary>
public sealed class ServiceAccountSecrets(ServerKeys keys)
{
    /// <summary>Longer presented secrets are refused before hashing.</summary>
    public const int MaxSecretLength = 2048;

    private readonly Lazy<byte[]> _key = new(() => HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.CodeHashKey, 32, info: "service-account-secrets"u8.ToArray()));

    /// <summary>The keyed hash to look a presented secret up by; an overlong one gets the hash of a string no secret is.</summary>
    public byte[] Hash(string? secret) =>
        HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(secret is { Length: > 0 and <= MaxSecretLength } ? secret : "\0not a secret"));

    /// <summary>256 random bits, base64url.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A bearer token in the shape of a Dfns service-account token: a JWT (HS256) whose payload names the organization
    /// under <c>https://custom/app_metadata</c> (the SDK checks it when the client also passes an org id) and carries
    /// 256 random bits in <c>jti</c>. The host never trusts the payload: a token is valid only as the keyed hash it stored.
    /// </summary>
    public string NewToken(string orgId, string accountId, DateTimeOffset now)
    {
        var header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = accountId,
            ["jti"] = NewSecret(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["https://custom/app_metadata"] = new Dictionary<string, string> { ["orgId"] = orgId, ["tokenKind"] = "ServiceAccount" },
        }));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(_key.Value, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }
}
