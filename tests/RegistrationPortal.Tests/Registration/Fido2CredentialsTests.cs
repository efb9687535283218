using System.ComponentModel.DataAnnotations;
using System.Text;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class Fido2CredentialsTests
{
    private const string Challenge = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c";

    [Fact]
    public void The_challenge_is_taken_in_the_dfns_sdk_utf8_form_and_in_the_plain_form_and_nothing_else()
    {
        var utf8 = Encoding.UTF8.GetBytes(Challenge);

        // @dfns/sdk-browser passes Buffer.from(challenge): clientDataJSON carries base64url of the string's UTF-8 bytes.
        Assert.Equal(utf8, Fido2Credentials.ChallengeBytes(Challenge, System.Buffers.Text.Base64Url.EncodeToString(utf8)));

        // A client that decodes the challenge first carries the challenge string itself.
        Assert.Equal(System.Buffers.Text.Base64Url.DecodeFromChars(Challenge), Fido2Credentials.ChallengeBytes(Challenge, Challenge));

        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, null));
        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, Challenge.ToUpperInvariant()));
        Assert.Null(Fido2Credentials.ChallengeBytes(Challenge, System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Challenge + "x"))));
    }

    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("https://app.example.com/", "https://app.example.com")]
    [InlineData("https://App.Example.com:443", "https://app.example.com")]
    [InlineData("http://localhost:5243", "http://localhost:5243")]
    [InlineData("https://app.example.com/path", null)]
    [InlineData("https://app.example.com/?q=1", null)]
    [InlineData("ftp://app.example.com", null)]
    [InlineData("app.example.com", null)]
    [InlineData("https://user@app.example.com", null)]
    public void An_allowed_origin_is_a_scheme_host_and_port_as_a_browser_writes_it(string configured, string? origin) =>
        Assert.Equal(origin, RegistrationOptions.Origin(configured));

    [Fact]
    public void A_configured_origin_that_is_not_one_fails_validation_naming_it()
    {
        var options = new RegistrationOptions { AllowedOrigins = ["https://app.example.com", "https://app.example.com/login"] };

        var problem = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Equal(["AllowedOrigins:1"], problem.MemberNames);
        Assert.Contains("https://app.example.com/login", problem.ErrorMessage, StringComparison.Ordinal);
    }
}
