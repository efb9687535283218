using System.Buffers.Text;
using System.Text;
using RegistrationPortal.Web.Features.Api;

namespace RegistrationPortal.Tests.Api;

public sealed class RequestNonceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private static string Json(string uuid, DateTimeOffset date) => $$"""{"uuid":"{{uuid}}","date":"{{date.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}}"}""";

    private static string Base64Url(string text) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static bool Parse(string? header, out RequestNonce? nonce) => RequestNonce.TryParse(header, Now, Window, out nonce);

    [Fact]
    public void Base64url_without_padding_is_accepted()
    {
        var uuid = Guid.NewGuid().ToString();
        Assert.True(Parse(Base64Url(Json(uuid, Now)), out var nonce));
        Assert.Equal(uuid, nonce!.Uuid);
        Assert.Equal(Now, nonce.Date);
    }

    [Theory]
    [InlineData("0123456789abc")] // the JSON text's length leaves one byte over: "==" padding
    [InlineData("0123456789abcd")] // two bytes over: "=" padding
    [InlineData("0123456789abcde")] // none over: no padding at all
    public void Padding_is_tolerated_and_the_padded_nonce_reads_as_the_unpadded_one(string uuid)
    {
        var date = Now.AddSeconds(-30);
        var bytes = Encoding.UTF8.GetBytes(Json(uuid, date));
        var padded = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

        Assert.True(Parse(padded, out var fromPadded), $"padded {padded} was refused");
        Assert.True(Parse(padded.TrimEnd('='), out var fromUnpadded));
        Assert.Equal(new RequestNonce(uuid, date), fromPadded);
        Assert.Equal(fromUnpadded, fromPadded);
        Assert.Equal(fromUnpadded!.ReplayKey, fromPadded!.ReplayKey);
    }

    [Fact]
    public void Plain_json_is_accepted_too()
    {
        Assert.True(Parse(Json("0123456789abc", Now), out var nonce));
        Assert.Equal("0123456789abc", nonce!.Uuid);
    }

    [Fact]
    public void A_uuid_shorter_than_13_characters_is_refused()
    {
        Assert.False(Parse(Base64Url(Json("0123456789ab", Now)), out _));
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    public void A_date_outside_the_window_is_refused(int minutes)
    {
        Assert.False(Parse(Base64Url(Json(Guid.NewGuid().ToString(), Now.AddMinutes(minutes))), out _));
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(4)]
    public void A_date_inside_the_window_either_way_is_accepted(int minutes)
    {
        Assert.True(Parse(Base64Url(Json(Guid.NewGuid().ToString(), Now.AddMinutes(minutes))), out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not base64 at all!")]
    [InlineData("e30")]
    [InlineData("W10")]
    [InlineData("{\"uuid\":12345678901234,\"date\":\"2026-11-25T09:00:00Z\"}")]
    [InlineData("{\"uuid\":\"12345678901234\",\"date\":\"yesterday\"}")]
    [InlineData("{\"uuid\":\"12345678901234\"}")]
    [InlineData("{\"date\":\"2026-11-25T09:00:00Z\"}")]
    [InlineData("{\"uuid\":\"12345678901234\",")]
    public void Undecodable_or_incomplete_nonces_are_refused(string? header)
    {
        Assert.False(Parse(header, out _));
    }

    [Fact]
    public void An_oversized_header_is_refused()
    {
        Assert.False(Parse(Base64Url(Json(new string('a', 2000), Now)), out _));
    }

    [Fact]
    public void The_replay_key_is_a_fixed_size_digest_of_the_uuid_alone()
    {
        Assert.True(Parse(Base64Url(Json("same-uuid-0000001", Now)), out var a));
        Assert.True(Parse(Json("same-uuid-0000001", Now.AddMinutes(1)), out var b));
        Assert.True(Parse(Json("other-uuid-000001", Now), out var c));
        Assert.Equal(a!.ReplayKey, b!.ReplayKey);
        Assert.NotEqual(a.ReplayKey, c!.ReplayKey);
        Assert.Equal(64, a.ReplayKey.Length);
    }

    [Fact]
    public void A_date_exactly_at_either_edge_of_the_window_is_accepted()
    {
        Assert.True(Parse(Json(Guid.NewGuid().ToString(), Now - Window), out _));
        Assert.True(Parse(Json(Guid.NewGuid().ToString(), Now + Window), out _));
    }

    [Fact]
    public void A_header_of_exactly_the_maximum_length_is_read_and_one_character_more_is_refused()
    {
        var json = Json(Guid.NewGuid().ToString(), Now);
        var padded = json + new string(' ', RequestNonce.MaxHeaderLength - json.Length);
        Assert.Equal(RequestNonce.MaxHeaderLength, padded.Length);
        Assert.True(Parse(padded, out _));
        Assert.False(Parse(padded + " ", out _));
    }

    [Fact]
    public void Nesting_deeper_than_four_levels_is_refused_and_four_are_read()
    {
        var uuid = Guid.NewGuid().ToString();
        var date = Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        var head = $$"""{"uuid":"{{uuid}}","date":"{{date}}","x":""";
        Assert.True(Parse(head + """{"a":{"b":{}}}}""", out _));
        Assert.False(Parse(head + """{"a":{"b":{"c":{}}}}}""", out _));
    }

    [Fact]
    public void A_nonce_whose_uuid_holds_a_lone_surrogate_is_refused_not_thrown()
    {
        var date = Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Parse($$"""{"uuid":"\ud800{{Guid.NewGuid()}}","date":"{{date}}"}""", out var nonce));
        Assert.Null(nonce);
    }
}
