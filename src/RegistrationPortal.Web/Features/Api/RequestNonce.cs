using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>A parsed <c>X-DFNS-NONCE</c>: <c>{"uuid": "…", "date": "ISO-8601"}</c>, base64url (padding tolerated) or plain JSON.</summary>
public sealed record RequestNonce(string Uuid, DateTimeOffset Date)
{
    public const int MinUuidLength = 13;
    public const int MaxHeaderLength = 1024;

    /// <summary>The replay store's key: a hash of the uuid, fixed in size whatever the client sent.</summary>
    public string ReplayKey => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Uuid)));

    public static bool TryParse(string? header, DateTimeOffset now, TimeSpan window, out RequestNonce? nonce)
    {
        nonce = null;
        if (string.IsNullOrWhiteSpace(header) || header.Length > MaxHeaderLength)
        {
            return false;
        }

        var text = header.Trim();
        byte[] json;
        if (text.StartsWith('{'))
        {
            json = Encoding.UTF8.GetBytes(text);
        }
        else
        {
            var unpadded = text.TrimEnd('=');
            if (!Base64Url.IsValid(unpadded))
            {
                return false;
            }

            json = Base64Url.DecodeFromChars(unpadded);
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;

            // Strings that are not Unicode text (a lone surrogate escaped, bytes that are not UTF-8) would throw when read.
            if (JsonText.FindBadString(root) is not null)
            {
                return false;
            }

            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("uuid", out var uuid) || uuid.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("date", out var date) || date.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            var uuidText = uuid.GetString()!;
            if (uuidText.Length < MinUuidLength
                || !DateTimeOffset.TryParse(date.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                || (at - now).Duration() > window)
            {
                return false;
            }

            nonce = new RequestNonce(uuidText, at.ToUniversalTime());
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
