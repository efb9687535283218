using System.Net;
using System.Text;
using System.Text.Json;
using RegistrationPortal.Web.Features.Api;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>What a Dfns client sends and what it must get back.</summary>
public static class DfnsApi
{
    public const string ResendPath = "/auth/registration/code";

    public const string SuccessBody = """{"message":"success"}""";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static string ResendBody(string orgId, string username) =>
        JsonSerializer.Serialize(new { username, orgId });

    public static HttpRequestMessage ResendRequest(string orgId, string username, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, ResendPath)
        {
            Content = new StringContent(ResendBody(orgId, username), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return request;
    }

    public static async Task<HttpResponseMessage> ResendAsync(this HttpClient client, string orgId, string username, params (string Name, string Value)[] headers)
    {
        using var request = ResendRequest(orgId, username, headers);
        return await client.SendAsync(request);
    }

    public static async Task AssertSuccessAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        AssertJsonContentType(response);
        Assert.Equal(SuccessBody, body);
    }

    /// <summary>
    /// Asserts the one error shape of the <c>/auth</c> surface, exactly <c>{"error":{"message":"…"}}</c>, with no
    /// stack trace or exception text; returns the message.
    /// </summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? message = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        AssertJsonContentType(response);

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var error = Assert.Single(root.EnumerateObject());
        Assert.Equal("error", error.Name);
        Assert.Equal(JsonValueKind.Object, error.Value.ValueKind);
        var messageProperty = Assert.Single(error.Value.EnumerateObject());
        Assert.Equal("message", messageProperty.Name);
        Assert.Equal(JsonValueKind.String, messageProperty.Value.ValueKind);
        var actual = messageProperty.Value.GetString()!;

        // Byte for byte the serialized shape: no extra whitespace, fields or ordering.
        Assert.Equal(JsonSerializer.Serialize(new DfnsErrorBody(new DfnsError(actual)), Web), body);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
        if (message is not null)
        {
            Assert.Equal(message, actual);
        }

        return actual;
    }

    public static void AssertJsonContentType(HttpResponseMessage response)
    {
        var contentType = response.Content.Headers.ContentType;
        Assert.NotNull(contentType);
        Assert.Equal("application/json", contentType.MediaType);
    }

    public static int RetryAfterSeconds(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Retry-After", out var values), "Retry-After header is missing");
        var seconds = int.Parse(Assert.Single(values), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(seconds >= 1, $"Retry-After must be at least 1 second, was {seconds}");
        return seconds;
    }
}

/// <summary>Builds <c>X-DFNS-NONCE</c> values the way the older Dfns SDKs do, and a few other accepted spellings.</summary>
public static class Nonces
{
    public enum Form
    {
        Base64Url,
        PaddedBase64Url,
        PlainJson,
    }

    public static string Create(DateTimeOffset date, string? uuid = null, Form form = Form.Base64Url)
    {
        var json = JsonSerializer.Serialize(new { uuid = uuid ?? Guid.NewGuid().ToString(), date = date.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });
        return form switch
        {
            Form.PlainJson => json,
            Form.PaddedBase64Url => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_'),
            _ => Base64Url(json),
        };
    }

    public static string Base64Url(string text) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
}
