using System.Text;
using System.Text.Json;
using RegistrationPortal.Web.Features.Api;

namespace RegistrationPortal.Tests.Api;

/// <summary>Every string of a JSON document is Unicode text, or the problem names where it is not.</summary>
public sealed class JsonTextTests
{
    private static JsonTextProblem? Find(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonText.FindBadString(document.RootElement);
    }

    [Theory]
    [InlineData("""{"username":"a@example.com"}""")]
    [InlineData("""{"username":"\ud83d\ude00 smile"}""")]
    [InlineData("""{"username":"\uD83D\uDE00"}""")]
    [InlineData("""{"username":"\\ud800 is text, not an escape"}""")]
    [InlineData("""{"username":"tab\t, quote \" and \u00e9"}""")]
    [InlineData("""{"a":{"b":["x","\u0041"]},"n":1,"t":true}""")]
    public void Text_that_reads_as_UTF16_passes(string json)
    {
        Assert.Null(Find(json));
        using var document = JsonDocument.Parse(json);
        _ = document.RootElement.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Name).ToList();
    }

    [Theory]
    [InlineData("""{"username":"a\ud800@example.com"}""", "username must be valid Unicode text")]
    [InlineData("""{"username":"a\udc00"}""", "username must be valid Unicode text")]
    [InlineData("""{"username":"\udc00\ud800"}""", "username must be valid Unicode text")]
    [InlineData("""{"username":"\ud800\u0041"}""", "username must be valid Unicode text")]
    [InlineData("""{"username":"\ud800"}""", "username must be valid Unicode text")]
    [InlineData("""{"user\ud800":"a"}""", "field names must be valid Unicode text")]
    [InlineData("""{"cred":{"info":{"credId":"x\ud800"}}}""", "cred.info.credId must be valid Unicode text")]
    [InlineData("""{"cred":{"in\udfff":1}}""", "field names in cred must be valid Unicode text")]
    [InlineData("""{"list":["ok","\ud800"]}""", "list[1] must be valid Unicode text")]
    public void A_lone_surrogate_is_found_and_named(string json, string message)
    {
        Assert.Equal(message, Find(json)?.Message);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_inside_a_string_are_found_and_named()
    {
        byte[] json = [.. Encoding.UTF8.GetBytes("{\"orgId\":\"or-"), 0xED, 0xA0, 0x80, .. Encoding.UTF8.GetBytes("\"}")];
        using var document = JsonDocument.Parse(json);
        Assert.Equal("orgId must be valid Unicode text", JsonText.FindBadString(document.RootElement)?.Message);
    }

    /// <summary>Raw string text as it stands between the quotes of a JSON document, escapes still escaped.</summary>
    [Theory]
    [InlineData(@"\uD83D\uDE00", true)] // a pair, upper-case hex, ending the string exactly
    [InlineData(@"\ud83d\ude00", true)] // the same pair in lower-case hex
    [InlineData(@"\uDAAF\uDFFF", true)] // hex digits a and f at both ends of their range
    [InlineData(@"\udaaf\udfff", true)]
    [InlineData(@"x\u00e9", true)] // a plain escape ending the string
    [InlineData(@"ab\n", true)] // a short escape ending the string
    [InlineData(@"\n\t\u00e9", true)] // escapes right after one another
    [InlineData(@"\uD800x", false)] // a lone high surrogate at the very start
    [InlineData(@"\uDBFF", false)] // upper-case hex of the last high surrogate, alone
    [InlineData(@"\udbff", false)]
    [InlineData(@"\uDFFF", false)] // a lone low surrogate
    [InlineData(@"\n\uD800", false)] // a lone surrogate right after another escape
    [InlineData(@"a\nb\uD800", false)] // a lone surrogate further on
    [InlineData(@"\nabcd\uD800", false)] // a lone surrogate a few characters after another escape
    [InlineData(@"\uD83D\uDE0", false)] // the low half cut short
    [InlineData(@"\u12", false)] // an escape cut short
    [InlineData(@"\u12G4", false)] // not hex
    [InlineData(@"ab\", false)] // a backslash ending the text
    public void Raw_string_text_is_checked_escape_by_escape(string raw, bool wellFormed) =>
        Assert.Equal(wellFormed, JsonText.IsWellFormed(Encoding.UTF8.GetBytes(raw)));

    [Fact]
    public void A_field_name_in_a_message_is_cut_at_40_characters_with_control_characters_shown_as_question_marks()
    {
        var forty = new string('x', 40);
        Assert.Equal(forty, JsonText.Printable(forty));
        Assert.Equal(forty + "…", JsonText.Printable(forty + "yz"));
        Assert.Equal("a?b?", JsonText.Printable("a\u0001b\n"));
    }
}
