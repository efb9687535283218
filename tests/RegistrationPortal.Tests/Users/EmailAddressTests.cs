using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Users;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("JDoe@Example.co", "jdoe@example.CO")]
    [InlineData(" jdoe@example.co ", "JDOE@EXAMPLE.CO")]
    public void Addresses_that_differ_only_in_case_or_surrounding_space_normalize_alike(string a, string b)
    {
        Assert.Equal(EmailAddress.Normalize(a), EmailAddress.Normalize(b));
    }

    [Fact]
    public void Different_addresses_normalize_differently()
    {
        Assert.NotEqual(EmailAddress.Normalize("jdoe@example.co"), EmailAddress.Normalize("j.doe@example.co"));
    }

    [Theory]
    [InlineData("jdoe@example.co")]
    [InlineData("first.last+tag@sub.example.org")]
    [InlineData("UPPER@EXAMPLE.COM")]
    public void Ordinary_addresses_are_valid(string email)
    {
        Assert.True(EmailAddress.IsValid(email));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("jdoe")]
    [InlineData("jdoe@")]
    [InlineData("@example.co")]
    [InlineData("jdoe@example")]
    [InlineData("jdoe@example..co")]
    [InlineData("jdoe@.example.co")]
    [InlineData("j doe@example.co")]
    [InlineData("John <jdoe@example.co>")]
    [InlineData("jdoe@example.co\r\nBcc: x@y.z")]
    public void Malformed_addresses_are_invalid(string? email)
    {
        Assert.False(EmailAddress.IsValid(email));
    }

    /// <summary>Invisible characters copied along with an address would make a second user who looks like the first.</summary>
    [Theory]
    [InlineData("ana@example.co\u200B")]
    [InlineData("\uFEFFana@example.co")]
    [InlineData("an\u00ADa@example.co")]
    [InlineData("ana@exam\u2060ple.co")]
    public void Addresses_holding_an_invisible_character_are_invalid(string escaped)
    {
        Assert.False(EmailAddress.IsValid(System.Text.RegularExpressions.Regex.Unescape(escaped)));
    }

    [Fact]
    public void Addresses_longer_than_254_characters_are_invalid()
    {
        Assert.False(EmailAddress.IsValid(new string('a', 250) + "@example.co"));
    }
}
