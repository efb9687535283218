using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>A host whose clock fails inside a request that asks for it (<see cref="ApiExceptionTests.Boom"/>), and only there.</summary>
public sealed class FailingClockFixture : QueuedMailPortalFixture
{
    public ErrorLog Errors { get; } = new();

    protected override Action<IServiceCollection>? Services => services =>
    {
        services.AddSingleton<ILoggerProvider>(Errors);
        services.AddHttpContextAccessor();
        services.AddSingleton<TimeProvider>(sp => new FailingClock(sp.GetRequiredService<IHttpContextAccessor>()));
    };

    private sealed class FailingClock(IHttpContextAccessor accessor) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() =>
            accessor.HttpContext?.Request.Headers.ContainsKey(ApiExceptionTests.Boom) == true
                ? throw new InvalidOperationException("secret internals: connection string Password=hunter2")
                : System.GetUtcNow();
    }
}

/// <summary>An exception inside an <c>/auth</c> call: a 500 in the Dfns shape, logged once, with nothing of the exception in the answer.</summary>
public sealed class ApiExceptionTests(FailingClockFixture fixture) : IClassFixture<FailingClockFixture>
{
    public const string Boom = "X-Test-Fail-Clock";

    [Fact]
    public async Task An_exception_in_an_auth_call_is_a_500_in_the_dfns_shape_without_its_message_or_stack()
    {
        var before = fixture.Errors.Entries.Count;
        using var client = fixture.Factory.CreateClient();
        using var response = await client.ResendAsync(
            await fixture.Factory.CreateOrganizationAsync(), PortalFactory.NewEmail("boom"), (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow)), (Boom, "1"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("Internal server error.", await DfnsApi.AssertErrorAsync(response, HttpStatusCode.InternalServerError));
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);

        // The operator learns of it, once.
        var logged = Assert.Single(fixture.Errors.Entries.Skip(before));
        Assert.Contains("InvalidOperationException", logged, StringComparison.Ordinal);
        Assert.Contains($"Unhandled error on PUT {DfnsApi.ResendPath}", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exception_on_a_page_gets_the_pages_error_page_not_the_dfns_body()
    {
        // Signing in stamps the cookie with the clock's time, inside the sign-in page's own request.
        var email = PortalFactory.NewEmail("page-boom");
        var password = $"pw-{Guid.NewGuid():N}";
        var created = await fixture.Factory.Services.GetRequiredService<AdminAccountService>()
            .CreateAsync(await fixture.Factory.CreateOrganizationAsync(), email, password, platformAdmin: false, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, created.Status);
        using var browser = new PortalBrowser(fixture.Factory);
        browser.Client.DefaultRequestHeaders.Add(Boom, "1");

        using var response = await browser.SubmitSignInAsync(email, password);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("{\"error\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_readiness_check_that_throws_answers_503_without_the_exceptions_text()
    {
        // The database check reads the clock, which fails inside this request: the report says the check failed, and no more.
        using var client = fixture.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add(Boom, "1");
        using var response = await client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("\"database\":{\"status\":\"Unhealthy\",\"description\":\"check failed\"}", body, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
    }
}
