using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;

namespace RegistrationPortal.IntegrationTests;

/// <summary>One malformed call to the <c>/auth</c> surface and the status it must get.</summary>
/// <param name="Body">The body text; <see cref="MalformedRequests.Org"/> and <see cref="MalformedRequests.User"/> stand for a real org and pending user.</param>
/// <param name="MessageNames">What the error message must name (the field at fault), when the case says.</param>
public sealed record MalformedCase(
    HttpStatusCode Status,
    string Method = "PUT",
    string Path = DfnsApi.ResendPath,
    string? ContentType = "application/json",
    string? Body = MalformedRequests.ValidBody,
    (string Name, string Value)[]? Headers = null,
    byte[]? RawBody = null,
    bool Chunked = false,
    string? MessageNames = null)
{
    public HttpRequestMessage ToRequest(string orgId, string username)
    {
        // "//auth/…" alone would be read as a network-path reference (a host called "auth"): send it as typed.
        var request = new HttpRequestMessage(new HttpMethod(Method), Path.StartsWith("//", StringComparison.Ordinal) ? new Uri("http://localhost" + Path) : new Uri(Path, UriKind.Relative));
        var bytes = RawBody ?? (Body is null ? null : Encoding.UTF8.GetBytes(Body.Replace(MalformedRequests.Org, orgId, StringComparison.Ordinal).Replace(MalformedRequests.User, username, StringComparison.Ordinal)));
        if (bytes is not null)
        {
            request.Content = Chunked ? new UnknownLengthContent(bytes) : new ByteArrayContent(bytes);
            if (ContentType is not null)
            {
                Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType));
            }
        }

        foreach (var (name, value) in Headers ?? [])
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return request;
    }

    /// <summary>A body sent chunked: no Content-Length for the server to check up front.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

/// <summary>The table of malformed requests: fields, JSON, sizes, content types, emails, org ids, headers, methods, paths.</summary>
public static class MalformedRequests
{
    public const string Org = "%ORG%";
    public const string User = "%USER%";
    public const string ValidBody = $$"""{"username":"{{User}}","orgId":"{{Org}}"}""";

    private const string WellFormedOrgId = "or-abcde-12345-abcdefghij012345";

    public static readonly IReadOnlyDictionary<string, MalformedCase> All = Build();

    public static TheoryData<string> Names => new(All.Keys);

    private static Dictionary<string, MalformedCase> Build()
    {
        var cases = new Dictionary<string, MalformedCase>(StringComparer.Ordinal);
        const HttpStatusCode BadRequest = HttpStatusCode.BadRequest;

        // Content types (415).
        foreach (var contentType in new[]
        {
            "text/plain", "application/xml", "text/json", "application/problem+json", "application/jsonp", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/json; charset=iso-8859-1", "application/*", "*/*", "garbage;;",
        })
        {
            cases[$"content-type {contentType}"] = new(HttpStatusCode.UnsupportedMediaType, ContentType: contentType);
        }

        cases["no content-type"] = new(HttpStatusCode.UnsupportedMediaType, ContentType: null);
        cases["no body and no content-type"] = new(HttpStatusCode.UnsupportedMediaType, ContentType: null, Body: null);

        // Not JSON (400).
        foreach (var (name, body) in new[]
        {
            ("empty body", ""), ("whitespace body", "   "), ("plain text", "not json"), ("open brace", "{"), ("close brace", "}"),
            ("truncated", """{"username":"""), ("single quotes", "{'username':'a@example.com','orgId':'x'}"), ("unquoted names", """{username:"a@example.com"}"""),
            ("open bracket", "["), ("trailing comma", ValidBody[..^1] + ",}"), ("comment", "/* hi */" + ValidBody), ("NaN", "NaN"),
            ("unterminated string", "\"abc"), ("missing comma", $$"""{"username":"{{User}}" "orgId":"{{Org}}"}"""), ("two objects", ValidBody + ValidBody),
            ("NUL byte", "\0"), ("XML", "<username>a@example.com</username>"), ("form encoded", $"username={User}&orgId={Org}"),
        })
        {
            cases[$"not JSON: {name}"] = new(BadRequest, Body: body);
        }

        cases["not JSON: invalid UTF-8"] = new(BadRequest, RawBody: [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']);

        // JSON, but not an object (400).
        foreach (var body in new[] { "[]", $"[{ValidBody}]", "\"a@example.com\"", "42", "-1.5e3", "null", "true", "false" })
        {
            cases[$"root {body}"] = new(BadRequest, Body: body);
        }

        // Missing, null, empty and wrongly typed fields (400).
        foreach (var (name, body) in new[]
        {
            ("empty object", "{}"),
            ("username only", $$"""{"username":"{{User}}"}"""),
            ("orgId only", $$"""{"orgId":"{{Org}}"}"""),
            ("username null", $$"""{"username":null,"orgId":"{{Org}}"}"""),
            ("orgId null", $$"""{"username":"{{User}}","orgId":null}"""),
            ("both null", """{"username":null,"orgId":null}"""),
            ("username empty", $$"""{"username":"","orgId":"{{Org}}"}"""),
            ("orgId empty", $$"""{"username":"{{User}}","orgId":""}"""),
        })
        {
            cases[$"field: {name}"] = new(BadRequest, Body: body, MessageNames: name is "username only" or "orgId null" or "orgId empty" ? "orgId" : "username");
        }

        foreach (var value in new[] { "42", "true", "false", "1.5", "[]", $"[\"{User}\"]", "{}", $$"""{"email":"{{User}}"}""" })
        {
            cases[$"username is {value}"] = new(BadRequest, Body: $$"""{"username":{{value}},"orgId":"{{Org}}"}""", MessageNames: "username");
        }

        foreach (var value in new[] { "42", "true", "[]", "{}", $"[\"{Org}\"]" })
        {
            cases[$"orgId is {value}"] = new(BadRequest, Body: $$"""{"username":"{{User}}","orgId":{{value}}}""", MessageNames: "orgId");
        }

        // What the message says when a field is empty or not the right form: resend checks emptiness first, then the form.
        foreach (var (name, body, message) in new[]
        {
            ("resend username empty", $$"""{"username":"","orgId":"{{Org}}"}""", "username is required"),
            ("resend orgId empty", $$"""{"username":"{{User}}","orgId":""}""", "orgId is required"),
        })
        {
            cases[$"message: {name}"] = new(BadRequest, Body: body, MessageNames: message);
        }

        foreach (var (name, body, message) in new[]
        {
            ("init username empty", $$"""{"username":"","registrationCode":"K7QH-3MZP-W9XD-R2TF","orgId":"{{Org}}"}""", "username is required"),
            ("init registrationCode empty", $$"""{"username":"{{User}}","registrationCode":"","orgId":"{{Org}}"}""", "registrationCode is required"),
            ("init orgId empty", $$"""{"username":"{{User}}","registrationCode":"K7QH-3MZP-W9XD-R2TF","orgId":""}""", "orgId is required"),
            ("init username not an email", $$"""{"username":"not-an-email","registrationCode":"K7QH-3MZP-W9XD-R2TF","orgId":"{{Org}}"}""", "username must be an email address"),
        })
        {
            cases[$"message: {name}"] = new(BadRequest, Method: "POST", Path: "/auth/registration/init", Body: body, MessageNames: message);
        }

        // Unknown and duplicate fields (400).
        foreach (var (name, extra, names) in new[]
        {
            ("extra number", "\"extra\":1", "unknown field: extra"), ("extra null", "\"extra\":null", "unknown field: extra"), ("extra object", "\"meta\":{}", "unknown field: meta"),
            ("registrationCode", "\"registrationCode\":\"K7QH-3MZP-W9XD-R2TF\"", "unknown field: registrationCode"),
            ("empty name", "\"\":1", "unknown field"), ("control character name", "\"a\\u0001b\":1", "unknown field"), ("very long name", $"\"{new string('x', 1000)}\":1", "unknown field: xxxxxxxx"),
            ("duplicate username", $"\"username\":\"{User}\"", "duplicate field: username"), ("duplicate orgId", $"\"orgId\":\"{Org}\"", "duplicate field: orgId"),
        })
        {
            cases[$"unknown field: {name}"] = new(BadRequest, Body: ValidBody[..^1] + "," + extra + "}", MessageNames: names);
        }

        foreach (var (usernameField, orgField) in new[] { ("Username", "orgId"), ("USERNAME", "orgId"), ("user_name", "orgId"), ("email", "orgId"), ("username", "OrgId"), ("username", "orgid"), ("username", "org_id") })
        {
            cases[$"misspelt field: {usernameField}/{orgField}"] = new(
                BadRequest, Body: $$"""{"{{usernameField}}":"{{User}}","{{orgField}}":"{{Org}}"}""", MessageNames: $"unknown field: {(usernameField == "username" ? orgField : usernameField)}");
        }

        // Usernames that are not email addresses (400).
        foreach (var email in new[]
        {
            "not-an-email", "user@", "@example.com", "user@localhost", "user.example.com", "user@example..com", "user@.example.com", "user@example.com.",
            "us er@example.com", "user@exa mple.com", "Name <user@example.com>", "<user@example.com>", "user@example.com (comment)", " ",
            "user\u0001@example.com", new string('a', 250) + "@example.com",
        })
        {
            cases[$"username {JsonSerializer.Serialize(email)[..Math.Min(40, JsonSerializer.Serialize(email).Length)]}"] = new(BadRequest, Body: Json(email, Org), MessageNames: "username");
        }

        // Organization ids that are not well formed (400).
        foreach (var orgId in new[]
        {
            "us-abcde-12345-abcdefghij012345", "ap-abcde-12345-abcdefghij012345", "OR-abcde-12345-abcdefghij012345", "or-ABCDE-12345-abcdefghij012345",
            "or-abcdE-12345-abcdefghij012345", "or-abcd-12345-abcdefghij0123456", "or-abcdef-1234-abcdefghij012345", "or-abcde-1234-abcdefghij0123456",
            "or-abcde-123456-abcdefghij01234", "or-abcde-12345-abcdefghij01234", "or-abcde-12345-abcdefghij01234567", "or_abcde_12345_abcdefghij012345",
            "orabcde-12345-abcdefghij012345", " " + WellFormedOrgId, WellFormedOrgId + " ", "or-abcde-12345-abcdefghij01234\u00e9", "or-abcde-12345-abcdefghij01234\u0663",
            "or-", "or", "organization", "3fa85f64-5717-4562-b3fc-2c963f66afa6", WellFormedOrgId[..^1] + "\n", "or-abcde-12345-abcdefghij0123-5",
        })
        {
            cases[$"orgId {JsonSerializer.Serialize(orgId)}"] = new(BadRequest, Body: Json(User, orgId), MessageNames: "orgId");
        }

        // Strings that are not Unicode text: lone surrogates escaped in JSON (valid JSON, but no UTF-16 string can
        // hold them) and raw bytes that are not UTF-8. 400, naming the field.
        foreach (var (name, escaped) in new[]
        {
            ("lone high surrogate", "a\\ud800@example.com"), ("lone low surrogate", "a\\udc00@example.com"), ("reversed pair", "a\\udc00\\ud800@example.com"),
            ("high surrogate at the end", "a@example.com\\ud800"), ("high surrogate before a letter", "\\ud800a@example.com"), ("upper-case escape", "a\\uD800@example.com"),
        })
        {
            cases[$"bad text: username {name}"] = new(BadRequest, Body: $$"""{"username":"{{escaped}}","orgId":"{{Org}}"}""", MessageNames: "username");
        }

        // A NUL: Unicode, but no PostgreSQL text holds one; a registration code is stored nowhere, and still refused.
        cases["bad text: registrationCode NUL"] = new(
            BadRequest, Method: "POST", Path: "/auth/registration/init", Body: $$"""{"username":"{{User}}","registrationCode":"K7QH-3MZP\u0000","orgId":"{{Org}}"}""", MessageNames: "registrationCode");
        cases["bad text: orgId lone surrogate"] = new(BadRequest, Body: $$"""{"username":"{{User}}","orgId":"{{WellFormedOrgId[..^1]}}\ud800"}""", MessageNames: "orgId");
        cases["bad text: field name lone surrogate"] = new(BadRequest, Body: $$"""{"user\ud800name":"x","username":"{{User}}","orgId":"{{Org}}"}""", MessageNames: "field name");
        cases["bad text: registrationCode lone surrogate"] = new(
            BadRequest, Method: "POST", Path: "/auth/registration/init", Body: $$"""{"username":"{{User}}","registrationCode":"K7QH-3MZP\ud800","orgId":"{{Org}}"}""", MessageNames: "registrationCode");
        cases["bad text: registrationCode invalid UTF-8"] = new(
            BadRequest, Method: "POST", Path: "/auth/registration/init", RawBody: Utf8WithBadBytes("{\"username\":\"a@example.com\",\"registrationCode\":\"K7QH", "\",\"orgId\":\"or-abcde-12345-abcdefghij012345\"}", 0xC3, 0x28), MessageNames: "registrationCode");
        cases["bad text: username invalid UTF-8"] = new(BadRequest, RawBody: Utf8WithBadBytes("{\"username\":\"a", "@example.com\",\"orgId\":\"or-abcde-12345-abcdefghij012345\"}", 0xFF), MessageNames: "username");
        cases["bad text: username UTF-8 of a surrogate"] = new(BadRequest, RawBody: Utf8WithBadBytes("{\"username\":\"a", "@example.com\",\"orgId\":\"or-abcde-12345-abcdefghij012345\"}", 0xED, 0xA0, 0x80), MessageNames: "username");
        cases["bad text: field name invalid UTF-8"] = new(BadRequest, RawBody: Utf8WithBadBytes("{\"user", "name\":\"a@example.com\",\"orgId\":\"or-abcde-12345-abcdefghij012345\"}", 0xFE), MessageNames: "field name");

        // Headers present but wrong.
        var now = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var uuid = Guid.NewGuid().ToString();
        foreach (var (name, nonce) in new[]
        {
            ("lone surrogate in uuid", Nonces.Base64Url($$"""{"uuid":"\ud800{{uuid}}","date":"{{now}}"}""")),
            ("lone surrogate in date", Nonces.Base64Url($$"""{"uuid":"{{uuid}}","date":"{{now}}\udc00"}""")),
            ("lone surrogate in a field name", Nonces.Base64Url($$"""{"uuid":"{{uuid}}","date":"{{now}}","\ud800":1}""")),
            ("lone surrogate in plain JSON", $$"""{"uuid":"\ud800{{uuid}}","date":"{{now}}"}"""),
            ("invalid UTF-8 in base64url", Convert.ToBase64String(Utf8WithBadBytes($"{{\"uuid\":\"{uuid}", $"\",\"date\":\"{now}\"}}", 0xFF, 0xFE)).TrimEnd('=').Replace('+', '-').Replace('/', '_')),
            ("UTF-8 of a surrogate in base64url", Convert.ToBase64String(Utf8WithBadBytes($"{{\"uuid\":\"{uuid}", $"\",\"date\":\"{now}\"}}", 0xED, 0xB0, 0x80)).TrimEnd('=').Replace('+', '-').Replace('/', '_')),
        })
        {
            cases[$"X-DFNS-NONCE {name}"] = new(BadRequest, Headers: [(AuthHeaders.Nonce, nonce)], MessageNames: "nonce");
        }

        foreach (var (name, nonce) in new[]
        {
            ("garbage", "garbage!!"), ("blank", " "), ("empty object", Nonces.Base64Url("{}")), ("array", Nonces.Base64Url("[]")),
            ("numeric uuid", Nonces.Base64Url($$"""{"uuid":1234567890123456,"date":"{{now}}"}""")), ("no date", Nonces.Base64Url($$"""{"uuid":"{{Guid.NewGuid()}}"}""")),
            ("not JSON", Nonces.Base64Url("hello world")), ("broken plain JSON", "{\"uuid\""), ("too long", new string('A', 2000)),
            ("too deep", Nonces.Base64Url($$"""{"uuid":"{{Guid.NewGuid()}}","date":"{{now}}","x":""" + """{"a":{"b":{"c":{}}}}}""")),
        })
        {
            cases[$"X-DFNS-NONCE {name}"] = new(BadRequest, Headers: [(AuthHeaders.Nonce, nonce)], MessageNames: "nonce");
        }

        foreach (var (name, appId) in new[]
        {
            ("garbage", "garbage"), ("upper case", "AP-ABCDE-12345-ABCDEFGHIJ012345"), ("an org id", WellFormedOrgId),
            ("unknown", Ids.New(Ids.Application)), ("too long", "ap-abcde-12345-abcdefghij01234567"),
        })
        {
            cases[$"X-DFNS-APPID {name}"] = new(HttpStatusCode.Unauthorized, Headers: [(AuthHeaders.AppId, appId)]);
        }

        // Bodies over Api:MaxBodyBytes (16 KiB by default): 413.
        cases["huge: one byte over the limit"] = new(HttpStatusCode.RequestEntityTooLarge, Body: ValidBody + new string(' ', 16 * 1024));
        cases["huge: 1 MiB"] = new(HttpStatusCode.RequestEntityTooLarge, Body: ValidBody + new string(' ', 1024 * 1024));
        cases["huge: long username"] = new(HttpStatusCode.RequestEntityTooLarge, Body: Json(new string('a', 20_000) + "@example.com", Org));
        cases["huge: big array"] = new(HttpStatusCode.RequestEntityTooLarge, Body: "[" + string.Join(',', Enumerable.Repeat("1", 20_000)) + "]");
        cases["huge: chunked, no length"] = new(HttpStatusCode.RequestEntityTooLarge, Body: ValidBody + new string(' ', 20_000), Chunked: true);

        // Wrong methods on the resend route (405).
        foreach (var method in new[] { "GET", "POST", "DELETE", "PATCH" })
        {
            cases[$"method {method}"] = new(HttpStatusCode.MethodNotAllowed, Method: method, Body: method == "GET" ? null : ValidBody);
        }

        // Wrong methods on the other routes (405), with the Dfns body.
        foreach (var (method, path) in new[] { ("DELETE", "/auth/registration"), ("GET", "/auth/registration/init"), ("OPTIONS", DfnsApi.ResendPath), ("PUT", "/auth/registration/init"), ("DELETE", "/auth/users/us-abcde-12345-abcdefghij012345"), ("POST", "/auth/users/us-abcde-12345-abcdefghij012345/deactivate") })
        {
            cases[$"method {method} {path}"] = new(HttpStatusCode.MethodNotAllowed, Method: method, Path: path, Body: method is "GET" or "OPTIONS" ? null : ValidBody);
        }

        // Unknown /auth paths (404).
        foreach (var (method, path) in new[]
        {
            ("GET", "/auth"), ("PUT", "/auth"), ("PUT", "/auth/unknown"), ("PUT", "/auth/registration/codes"), ("PUT", "/auth/registration/code/extra"),
            ("GET", "/auth/registration/code/x"), ("POST", "/auth/login"), ("PUT", "/auth/registration/code.json"), ("PUT", "/auth/users/us-abcde-12345-abcdefghij012345/archive"),
            ("PUT", "//auth/registration/code"), ("POST", "//auth/registration/init"), ("GET", "//auth/registration/code"), ("PATCH", "///auth/unknown"),
            ("PUT", "/auth//registration/code"), ("PUT", "/auth/registration//code"), ("PUT", "/auth%2Fregistration%2Fcode"), ("PUT", "/AUTH/nothing"),
            ("GET", "/auth/"), ("GET", "/auth/users/us-abcde-12345-abcdefghij012345/extra/more"),
        })
        {
            cases[$"path {method} {path}"] = new(HttpStatusCode.NotFound, Method: method, Path: path, Body: method == "GET" ? null : ValidBody);
        }

        return cases;
    }

    private static string Json(string username, string orgId) => JsonSerializer.Serialize(new { username, orgId });

    /// <summary>UTF-8 of <paramref name="before"/>, the raw <paramref name="bad"/> bytes, then UTF-8 of <paramref name="after"/>.</summary>
    private static byte[] Utf8WithBadBytes(string before, string after, params byte[] bad) =>
        [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];
}
