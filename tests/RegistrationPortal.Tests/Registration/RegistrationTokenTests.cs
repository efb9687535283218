using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class RegistrationTokenTests
{
    private const string UserId = "us-abcde-12345-abcdefghij012345";
    private const string OrgId = "or-abcde-12345-abcdefghij012345";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void A_token_reads_back_its_claims()
    {
        var claims = NewClaims();

        var read = RegistrationToken.Read(_key, RegistrationToken.Create(_key, claims), _time.GetUtcNow());

        Assert.Equal(claims, read);
    }

    [Fact]
    public void The_payload_carries_what_the_Dfns_SDK_reads()
    {
        var token = RegistrationToken.Create(_key, NewClaims());

        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1]));
        Assert.Equal(OrgId, payload.RootElement.GetProperty("https://custom/app_metadata").GetProperty("orgId").GetString());
        Assert.Equal(UserId, payload.RootElement.GetProperty("sub").GetString());
        Assert.Equal("alice@example.com", payload.RootElement.GetProperty("username").GetString());
        Assert.Equal(_time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds(), payload.RootElement.GetProperty("exp").GetInt64());
    }

    [Fact]
    public void An_expired_token_is_refused()
    {
        var claims = NewClaims();
        var token = RegistrationToken.Create(_key, claims);

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(claims, RegistrationToken.Read(_key, token, _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(RegistrationToken.Read(_key, token, _time.GetUtcNow()));
    }

    [Fact]
    public void A_changed_payload_is_refused()
    {
        var parts = RegistrationToken.Create(_key, NewClaims()).Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace(OrgId, "or-zzzzz-12345-abcdefghij012345", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        Assert.Null(RegistrationToken.Read(_key, forged, _time.GetUtcNow()));
    }

    [Fact]
    public void A_changed_signature_another_key_or_alg_none_is_refused()
    {
        var token = RegistrationToken.Create(_key, NewClaims());
        var parts = token.Split('.');
        var flipped = Base64Url.DecodeFromChars(parts[2]);
        flipped[0] ^= 1;
        var none = Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8);

        Assert.Null(RegistrationToken.Read(_key, $"{parts[0]}.{parts[1]}.{Base64Url.EncodeToString(flipped)}", _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(RandomNumberGenerator.GetBytes(32), token, _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, $"{none}.{parts[1]}.", _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, "not-a-token", _time.GetUtcNow()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_token_is_refused(string? token) =>
        Assert.Null(RegistrationToken.Read(_key, token, _time.GetUtcNow()));

    [Fact]
    public void A_token_of_4096_characters_reads_back_and_one_of_4097_is_refused()
    {
        var (atBound, claims) = TokenOfLength(4096);
        var (onePast, _) = TokenOfLength(4097);

        Assert.Equal(claims, RegistrationToken.Read(_key, atBound, _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, onePast, _time.GetUtcNow()));
    }

    [Fact]
    public void A_token_signed_with_the_key_but_with_another_header_or_an_extra_part_is_refused()
    {
        var payload = PayloadJson(RegistrationToken.Issuer);
        var token = Signed(Header, payload);

        Assert.NotNull(RegistrationToken.Read(_key, token, _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, Signed("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", payload), _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, token + "." + token.Split('.')[2], _time.GetUtcNow()));
    }

    [Fact]
    public void A_token_signed_with_the_key_but_from_another_issuer_is_refused()
    {
        Assert.NotNull(RegistrationToken.Read(_key, Signed(Header, PayloadJson(RegistrationToken.Issuer)), _time.GetUtcNow()));
        Assert.Null(RegistrationToken.Read(_key, Signed(Header, PayloadJson("someone-else")), _time.GetUtcNow()));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    public void A_signed_payload_that_is_not_a_JSON_object_is_refused(string payload) =>
        Assert.Null(RegistrationToken.Read(_key, Signed(Header, payload), _time.GetUtcNow()));

    [Fact]
    public void A_signed_payload_whose_expiry_is_past_any_date_is_refused() =>
        Assert.Null(RegistrationToken.Read(_key, Signed(Header, PayloadJson(RegistrationToken.Issuer, expiresAt: long.MaxValue)), _time.GetUtcNow()));

    [Theory]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData("=")]
    public void A_signature_with_whitespace_or_padding_in_it_is_refused(string insert)
    {
        var parts = RegistrationToken.Create(_key, NewClaims()).Split('.');

        Assert.Null(RegistrationToken.Read(_key, $"{parts[0]}.{parts[1]}.{parts[2][..40]}{insert}{parts[2][40..]}", _time.GetUtcNow()));
    }

    private const string Header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    /// <summary>A token with this header and payload, signed with the key as the portal signs its own.</summary>
    private string Signed(string headerJson, string payloadJson)
    {
        var signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        return signingInput + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signingInput)));
    }

    private string PayloadJson(string issuer, long? expiresAt = null)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        return $$$"""{"iss":"{{{issuer}}}","sub":"{{{UserId}}}","jti":"{{{Guid.CreateVersion7():D}}}","iat":{{{now}}},"exp":{{{expiresAt ?? now + 600}}},"username":"alice@example.com","https://custom/app_metadata":{"orgId":"{{{OrgId}}}"}}""";
    }

    /// <summary>A token of exactly <paramref name="length"/> characters, made long by its username.</summary>
    private (string Token, RegistrationTokenClaims Claims) TokenOfLength(int length)
    {
        var claims = NewClaims();
        return Enumerable.Range(0, length)
            .Select(n => claims with { Username = new string('a', n) + "@example.com" })
            .Select(c => (Token: RegistrationToken.Create(_key, c), Claims: c))
            .First(t => t.Token.Length == length);
    }

    private RegistrationTokenClaims NewClaims()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        return new RegistrationTokenClaims(UserId, Guid.CreateVersion7(now), OrgId, "alice@example.com", now, now.AddMinutes(10));
    }
}
