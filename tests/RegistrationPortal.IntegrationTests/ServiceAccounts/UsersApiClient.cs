using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.ServiceAccounts;

/// <summary>A service account made for a test, with the private key only the program holds.</summary>
public sealed record TestServiceAccount(string Id, string OrgId, string CredId, string Token, ECDsa Key);

/// <summary>
/// The users API as a program calls it, over HTTP: the bearer token, and each changing call signed the way
/// <c>@dfns/sdk-keysigner</c>'s AsymmetricKeySigner signs (clientData <c>{"type":"key.get","challenge":…}</c>, ECDSA P-256
/// SHA-256, DER, base64url), so a test can also sign wrongly on purpose.
/// </summary>
public static class UsersApiClient
{
    public static async Task<TestServiceAccount> CreateServiceAccountAsync(this PortalFactory host, string orgId, bool canWrite = true)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var outcome = await host.Services.GetRequiredService<ServiceAccountService>()
            .CreateAsync(orgId, $"program {Guid.NewGuid():N}", key.ExportSubjectPublicKeyInfoPem(), canWrite, null, Actor.Operator("test"));
        Assert.Equal(CreateServiceAccountStatus.Created, outcome.Status);
        return new TestServiceAccount(outcome.Id!, orgId, outcome.CredId!, outcome.Token!, key);
    }

    public static HttpRequestMessage Request(TestServiceAccount account, HttpMethod method, string path, string? body = null, string? userAction = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.Token);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (userAction is not null)
        {
            request.Headers.Add("X-DFNS-USERACTION", userAction);
        }

        return request;
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, TestServiceAccount account, HttpMethod method, string path, string? body = null, string? userAction = null)
    {
        using var request = Request(account, method, path, body, userAction);
        return await client.SendAsync(request);
    }

    /// <summary><c>POST /auth/action/init</c> for a future call; the challenge answer.</summary>
    public static async Task<JsonElement> InitAsync(this HttpClient client, TestServiceAccount account, string method, string path, string payload)
    {
        var body = JsonSerializer.Serialize(new { userActionPayload = payload, userActionHttpMethod = method, userActionHttpPath = path, userActionServerKind = "Api" });
        using var response = await client.SendAsync(account, HttpMethod.Post, "/auth/action/init", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"init answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The signature of a challenge as the key signer makes it, with any key and credential id.</summary>
    public static string SignBody(JsonElement challenge, ECDsa key, string credId)
    {
        var clientData = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "key.get", challenge = challenge.GetProperty("challenge").GetString() }));
        var signature = key.SignData(clientData, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return JsonSerializer.Serialize(new
        {
            challengeIdentifier = challenge.GetProperty("challengeIdentifier").GetString(),
            firstFactor = new
            {
                kind = "Key",
                credentialAssertion = new { credId, clientData = Base64Url.EncodeToString(clientData), signature = Base64Url.EncodeToString(signature) },
            },
        });
    }

    /// <summary>A signed user action for one call, not yet used.</summary>
    public static async Task<string> UserActionAsync(this HttpClient client, TestServiceAccount account, string method, string path, string payload)
    {
        var challenge = await client.InitAsync(account, method, path, payload);
        using var response = await client.SendAsync(account, HttpMethod.Post, "/auth/action", SignBody(challenge, account.Key, account.CredId));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"signing answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("userAction").GetString()!;
    }

    /// <summary>A changing call, signed for itself.</summary>
    public static async Task<HttpResponseMessage> SignedAsync(this HttpClient client, TestServiceAccount account, HttpMethod method, string path, string body)
    {
        var userAction = await client.UserActionAsync(account, method.Method, path, body);
        return await client.SendAsync(account, method, path, body, userAction);
    }

    public static string DeactivatePath(string userId) => $"/auth/users/{userId}/deactivate";

    public static string ActivatePath(string userId) => $"/auth/users/{userId}/activate";

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
