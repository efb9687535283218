using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using RegistrationPortal.Web.Components.Account;

namespace RegistrationPortal.Tests.Account;

public sealed class PasskeyOriginsTests
{
    private const string Public = "https://portal.example";

    [Theory]
    [InlineData("http://localhost:5243", "http", "localhost:5243")]
    [InlineData("https://portal.example", "http", "10.0.0.7:8080")]
    [InlineData("https://portal.example", "https", "portal.example")]
    public void The_origin_the_host_is_reached_at_or_its_public_address_is_accepted(string origin, string scheme, string host) =>
        Assert.True(PasskeyOrigins.IsValid(Context(origin, scheme, host), PasskeyOrigins.OriginOf(Public)));

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://portal.example")]
    [InlineData("https://portal.example:8443")]
    [InlineData("https://portal.example/path")]
    [InlineData("null")]
    [InlineData("")]
    public void Any_other_origin_is_refused(string origin) =>
        Assert.False(PasskeyOrigins.IsValid(Context(origin, "http", "localhost:5243"), PasskeyOrigins.OriginOf(Public)));

    [Fact]
    public void A_ceremony_in_a_frame_of_another_site_is_refused()
    {
        Assert.False(PasskeyOrigins.IsValid(Context(Public, "https", "portal.example", crossOrigin: true), Public));
        Assert.False(PasskeyOrigins.IsValid(Context(Public, "https", "portal.example", topOrigin: "https://evil.example"), Public));
    }

    private static PasskeyOriginValidationContext Context(string origin, string scheme, string host, bool crossOrigin = false, string? topOrigin = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = scheme;
        http.Request.Host = new HostString(host);

        // What the portal's pages send: Referrer-Policy no-referrer makes every form post's Origin header "null".
        http.Request.Headers.Origin = "null";
        return new PasskeyOriginValidationContext { HttpContext = http, Origin = origin, CrossOrigin = crossOrigin, TopOrigin = topOrigin };
    }
}
