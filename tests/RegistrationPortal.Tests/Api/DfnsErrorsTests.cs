using Microsoft.AspNetCore.Http;
using RegistrationPortal.Web.Features.Api;

namespace RegistrationPortal.Tests.Api;

/// <summary>What a Dfns client reads in an error body and its headers when the host refuses a call.</summary>
public sealed class DfnsErrorsTests
{
    [Theory]
    [InlineData(400, "Bad request.")]
    [InlineData(401, "Not Authorized.")]
    [InlineData(403, "Not Authorized.")]
    [InlineData(404, "Not found.")]
    [InlineData(405, "Method not allowed.")]
    [InlineData(408, "Request timed out.")]
    [InlineData(411, "Length required.")]
    [InlineData(413, "Request body too large.")]
    [InlineData(415, "content-type must be application/json")]
    [InlineData(429, "Too many requests. Retry later.")]
    [InlineData(500, "Internal server error.")]
    [InlineData(503, "Internal server error.")]
    [InlineData(418, "Request failed.")]
    public void Each_status_has_its_own_plain_message(int status, string message) =>
        Assert.Equal(message, DfnsErrors.MessageFor(status));

    [Theory]
    [InlineData(0.2, 1)]
    [InlineData(1.0, 1)]
    [InlineData(59.1, 60)]
    [InlineData(3600, 3600)]
    public void A_throttled_answer_says_whole_seconds_to_wait_and_sets_retry_after(double seconds, int said)
    {
        var context = new DefaultHttpContext();
        var result = DfnsErrors.Throttled(context, TimeSpan.FromSeconds(seconds), "Too many requests for this user.");
        Assert.Equal(said.ToString(System.Globalization.CultureInfo.InvariantCulture), context.Response.Headers.RetryAfter.ToString());
        Assert.Equal(StatusCodes.Status429TooManyRequests, result.StatusCode);
        Assert.Equal($"Too many requests for this user. Retry after {said} seconds.", result.Message);
    }

    [Theory]
    [InlineData("Bearer abc", 3, "abc")]
    [InlineData("bearer  abc ", 3, "abc")]
    [InlineData("Bearer abcd", 3, null)]
    [InlineData("Basic abc", 3, null)]
    [InlineData("abc", 3, null)]
    public void The_bearer_token_is_the_one_authorization_header_up_to_its_length(string header, int maxLength, string? token)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = header;
        Assert.Equal(token, AuthHeaders.BearerToken(context.Request, maxLength));
    }

    [Theory]
    [InlineData("/auth", true)]
    [InlineData("/auth/registration/code", true)]
    [InlineData("/AUTH/Registration/Code", true)]
    [InlineData("//auth/registration/code", true)]
    [InlineData("/auth%2Fregistration%2Fcode", true)]
    [InlineData("/", false)]
    [InlineData("", false)]
    [InlineData("/healthz", false)]
    [InlineData("/Account/Login", false)]
    [InlineData("/user/x", false)]
    [InlineData("/authorize", false)]
    [InlineData("/author/x", false)]
    public void Only_the_auth_surface_however_spelled_answers_in_the_dfns_shape(string path, bool underAuth) =>
        Assert.Equal(underAuth, DfnsErrorMiddleware.IsUnderAuth(new PathString(path)));

    [Fact]
    public async Task A_handler_whose_parameters_never_name_the_organization_fails_loudly_naming_its_path()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/auth/forgotten";
        var filter = new DfnsCallFilter(claimNonce: false);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await filter.InvokeAsync(EndpointFilterInvocationContext.Create(context), _ => ValueTask.FromResult<object?>("handled")));
        Assert.Equal("/auth/forgotten: no parameter of the handler says which organization the call is about.", failure.Message);
    }
}
