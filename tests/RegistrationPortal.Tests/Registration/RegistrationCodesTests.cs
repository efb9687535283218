using System.Text.RegularExpressions;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed partial class RegistrationCodesTests
{
    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")]
    private static partial Regex CodeShape();

    [Fact]
    public void Generated_codes_are_four_groups_of_four_from_the_unambiguous_alphabet()
    {
        for (var i = 0; i < 1000; i++)
        {
            var code = RegistrationCodes.Generate();
            Assert.Matches(CodeShape(), code);
            Assert.DoesNotContain('I', code);
            Assert.DoesNotContain('L', code);
            Assert.DoesNotContain('O', code);
            Assert.DoesNotContain('U', code);
        }
    }

    [Fact]
    public void Generated_codes_carry_at_least_80_bits()
    {
        // Measured on generated codes, not on the constants: every symbol position, and the number of different
        // symbols seen at each one over many codes (each of 32 symbols turns up in 8,000 codes unless it never can).
        var codes = Enumerable.Range(0, 8_000).Select(_ => RegistrationCodes.Generate().Replace("-", "", StringComparison.Ordinal)).ToList();
        var positions = Assert.Single(codes.Select(c => c.Length).Distinct());
        var bits = Enumerable.Range(0, positions).Sum(p => Math.Log2(codes.Select(c => c[p]).Distinct().Count()));

        Assert.True(bits >= 80, $"generated codes carry {bits:F1} bits over {positions} symbols");
    }

    [Fact]
    public void Every_symbol_is_equally_likely_at_every_position()
    {
        // A biased source (modulo bias, a weak generator, a fixed position) fails this chi-square test.
        const int samples = 32_000;
        var counts = new int[RegistrationCodes.SymbolCount, RegistrationCodes.Alphabet.Length];
        for (var i = 0; i < samples; i++)
        {
            var symbols = RegistrationCodes.Generate().Replace("-", "", StringComparison.Ordinal);
            for (var p = 0; p < symbols.Length; p++)
            {
                counts[p, RegistrationCodes.Alphabet.IndexOf(symbols[p], StringComparison.Ordinal)]++;
            }
        }

        var expected = samples / (double)RegistrationCodes.Alphabet.Length;
        for (var p = 0; p < RegistrationCodes.SymbolCount; p++)
        {
            var chiSquare = 0.0;
            for (var s = 0; s < RegistrationCodes.Alphabet.Length; s++)
            {
                chiSquare += Math.Pow(counts[p, s] - expected, 2) / expected;
            }

            // 31 degrees of freedom. A threshold of 70 (the 99.99th percentile) failed a fair source about once in 750
            // runs over the 16 positions (it did, once); 105 is past the 99.9999999th, and a real bias at 32,000
            // samples (a symbol twice as likely, a fixed position) gives hundreds to tens of thousands.
            Assert.True(chiSquare < 105, $"position {p}: chi-square {chiSquare:F1}");
        }
    }

    [Fact]
    public void Codes_do_not_repeat()
    {
        var codes = Enumerable.Range(0, 50_000).Select(_ => RegistrationCodes.Generate()).ToHashSet();
        Assert.Equal(50_000, codes.Count);
    }

    [Theory]
    [InlineData("K7QH-3MZP-W9XD-R2TF", "K7QH3MZPW9XDR2TF")]
    [InlineData("k7qh3mzpw9xdr2tf", "K7QH3MZPW9XDR2TF")]
    [InlineData(" k7qh 3mzp w9xd r2tf ", "K7QH3MZPW9XDR2TF")]
    [InlineData("OOOO-IIII-LLLL-oil0", "0000111111110110")]
    public void Input_is_accepted_in_any_case_with_or_without_separators(string input, string expected)
    {
        Assert.True(RegistrationCodes.TryNormalize(input, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("K7QH-3MZP-W9XD-R2T")]
    [InlineData("K7QH-3MZP-W9XD-R2TFX")]
    [InlineData("K7QH-3MZP-W9XD-R2TU")]
    [InlineData("K7QH-3MZP-W9XD-R2T!")]
    [InlineData("K7QH_3MZP_W9XD_R2TF")]
    public void Malformed_input_is_refused(string? input)
    {
        Assert.False(RegistrationCodes.TryNormalize(input, out _));
    }

    [Fact]
    public void Input_of_64_characters_is_read_and_one_of_65_is_refused()
    {
        var atBound = new string(' ', 48) + "K7QH3MZPW9XDR2TF";

        Assert.True(RegistrationCodes.TryNormalize(atBound, out var normalized));
        Assert.Equal("K7QH3MZPW9XDR2TF", normalized);
        Assert.False(RegistrationCodes.TryNormalize(" " + atBound, out _));
    }

    [Fact]
    public void Refused_input_gives_back_an_empty_code()
    {
        Assert.False(RegistrationCodes.TryNormalize("K7QH-3MZP", out var normalized));
        Assert.Equal("", normalized);
    }

    [Fact]
    public void Overlong_input_is_refused_without_scanning_it()
    {
        Assert.False(RegistrationCodes.TryNormalize(new string('-', 10_000) + "K7QH3MZPW9XDR2TF", out _));
    }
}
