using System.Net;
using System.Text.Json;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>The host on a real loopback port: health, the OpenAPI document, and a resend over real HTTP.</summary>
public sealed class HostTests(RealPortPortalFixture fixture) : IClassFixture<RealPortPortalFixture>, IDisposable
{
    private readonly PortalFactory _host = fixture.Factory;
    private readonly HttpClient _client = new() { BaseAddress = fixture.RealPortAddress };

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Healthz_reports_the_database_and_the_dispatcher_healthy()
    {
        Assert.Equal("127.0.0.1", _client.BaseAddress!.Host);
        string body = "";
        await Wait.WaitUntilAsync(
            async () =>
            {
                using var response = await _client.GetAsync(new Uri("/healthz", UriKind.Relative));
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK;
            },
            "/healthz answers 200");

        using var report = JsonDocument.Parse(body);
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("dispatcher").GetProperty("status").GetString());
        Assert.Equal("running", report.RootElement.GetProperty("dispatcher").GetProperty("description").GetString());
    }

    /// <summary>The <c>paths</c> of the served OpenAPI document (answered 200).</summary>
    private async Task<JsonElement> OpenApiPathsAsync()
    {
        using var response = await _client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("paths").Clone();
    }

    [Fact]
    public async Task The_openapi_document_describes_the_resend_call()
    {
        var put = (await OpenApiPathsAsync()).GetProperty(DfnsApi.ResendPath).GetProperty("put");
        Assert.Equal("ResendRegistrationCode", put.GetProperty("operationId").GetString());
        Assert.True(put.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        foreach (var status in new[] { "200", "400", "401", "403", "413", "415", "429" })
        {
            Assert.True(put.GetProperty("responses").TryGetProperty(status, out _), $"response {status} is documented");
        }
    }

    [Fact]
    public async Task The_openapi_document_names_summarizes_and_describes_each_registration_call()
    {
        var paths = await OpenApiPathsAsync();
        foreach (var (path, method, id, summary, describes) in new[]
        {
            (DfnsApi.ResendPath, "put", "ResendRegistrationCode", "Resend registration code", "Sends the user a new registration code; every earlier code stops working."),
            ("/auth/registration/init", "post", "CreateRegistrationChallenge", "Create registration challenge", "Checks the registration code and answers the challenge"),
            ("/auth/registration", "post", "Register", "Complete user registration", "With Authorization: Bearer <temporaryAuthenticationToken> from init"),
        })
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            Assert.Equal(id, operation.GetProperty("operationId").GetString());
            Assert.Equal(summary, operation.GetProperty("summary").GetString());
            Assert.StartsWith(describes, operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_openapi_document_tags_the_registration_calls_and_documents_the_shared_error_answers_of_every_call()
    {
        var paths = await OpenApiPathsAsync();
        foreach (var (path, method) in new[] { (DfnsApi.ResendPath, "put"), ("/auth/registration/init", "post"), ("/auth/registration", "post") })
        {
            var tags = paths.GetProperty(path).GetProperty(method).GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Equal(["Registration"], tags);
        }

        // The filter in front of every call may refuse it with these, whatever the handler itself returns.
        var operations = 0;
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "delete"))
            {
                operations++;
                foreach (var status in new[] { "400", "401", "403", "413", "415", "429" })
                {
                    Assert.True(operation.Value.GetProperty("responses").TryGetProperty(status, out _), $"{operation.Name} {path.Name} documents {status}");
                }
            }
        }

        Assert.True(operations >= 8, $"{operations} operations");
    }

    [Fact]
    public async Task A_resend_over_a_real_port_gets_the_neutral_answer_and_records_the_client_address()
    {
        var orgId = await _host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("kestrel");
        var userId = await _host.InviteAsync(orgId, email);
        await DfnsApi.AssertSuccessAsync(await _client.ResendAsync(orgId, email));
        await _host.PublicRequestsResolvedAsync();

        var valid = Assert.Single(await _host.ValidCodesAsync(userId));
        Assert.Equal(Web.Shared.ActorKind.ApiApplication, valid.IssuedThrough);
        var address = await _host.WithDbAsync(db => Task.FromResult(db.AuditEvents
            .Where(a => a.SubjectId == userId && a.Action == Web.Shared.AuditActions.CodeSent && a.ActorKind == "ApiApplication")
            .Select(a => a.ClientAddress)
            .Single()));
        Assert.Equal("127.0.0.1", address);
    }

    [Fact]
    public async Task Liveness_answers_without_the_database_and_readiness_reports_it()
    {
        using var live = await _client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var document = JsonDocument.Parse(await live.Content.ReadAsStringAsync()))
        {
            Assert.Equal("Healthy", document.RootElement.GetProperty("status").GetString());
            Assert.False(document.RootElement.TryGetProperty("database", out _), "liveness checks nothing");
        }

        using var ready = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", readiness.RootElement.GetProperty("database").GetProperty("status").GetString());
    }
}
