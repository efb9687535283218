using System.ComponentModel.DataAnnotations;
using RegistrationPortal.Web.Components.Account;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Shared;

/// <summary>
/// What the portal makes of text no stored name, address or id can hold (a NUL, which PostgreSQL refuses in any text;
/// other control characters; half a surrogate pair) before it reaches a query: searches drop it, Identity's lookup keys
/// turn it into a character that matches no one, and a one-line field refuses it.
/// </summary>
public sealed class TextScreeningTests
{
    /// <summary>Half of a surrogate pair, put in by the test itself: xunit's test data cannot carry one unchanged.</summary>
    private const string HalfPair = "\uDC00";

    [Theory]
    [InlineData("  ana\0@acme\t ", "ana@acme")]
    [InlineData("\u200Bana", "ana")]
    [InlineData("an{half}a", "ana")]
    [InlineData("caf\u00E9 \U0001F600", "caf\u00E9 \U0001F600")]
    [InlineData("\0\t ", null)]
    [InlineData(null, null)]
    public void A_search_term_keeps_only_what_can_be_stored(string? typed, string? searched) =>
        Assert.Equal(searched, SearchText.Clean(typed?.Replace("{half}", HalfPair, StringComparison.Ordinal)));

    [Theory]
    [InlineData("ana\0@acme.example", "ANA\uFFFD@ACME.EXAMPLE")]
    [InlineData("ana{half}@acme.example", "ANA\uFFFD@ACME.EXAMPLE")]
    [InlineData("\u00E9mile@acme.example", "\u00C9MILE@ACME.EXAMPLE")]
    [InlineData("e\u0301mile@acme.example", "\u00C9MILE@ACME.EXAMPLE")]
    public void Identitys_lookup_key_of_an_address_holds_no_nul_and_no_half_pair(string typed, string key)
    {
        var normalizer = new PortalLookupNormalizer();
        typed = typed.Replace("{half}", HalfPair, StringComparison.Ordinal);
        Assert.Equal(key, normalizer.NormalizeEmail(typed));
        Assert.Equal(key, normalizer.NormalizeName(typed));
    }

    [Theory]
    [InlineData("My laptop", true)]
    [InlineData("My laptop \U0001F511", true)]
    [InlineData("My\0laptop", false)]
    [InlineData("My\nlaptop", false)]
    [InlineData("My \u202Epotpal", false)]
    public void A_one_line_field_refuses_control_characters(string name, bool valid)
    {
        var model = new Named { Name = name };
        var results = new List<ValidationResult>();
        Assert.Equal(valid, Validator.TryValidateObject(model, new ValidationContext(model), results, validateAllProperties: true));
        if (!valid)
        {
            Assert.Equal("The passkey name must be one line of text: no line breaks, tabs or other control characters.", Assert.Single(results).ErrorMessage);
        }
    }

    private sealed class Named
    {
        [OneLine]
        [Display(Name = "passkey name")]
        public string Name { get; set; } = "";
    }
}
