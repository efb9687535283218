using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

public sealed class CodeHasherTests
{
    private static CodeHasher Hasher(byte[] key) => new(new ServerKeys(
        Options.Create(new RegistrationOptions { CodeHashKey = Convert.ToBase64String(key) }),
        contexts: null!,
        new EphemeralDataProtectionProvider()));

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void The_hash_is_an_hmac_sha256_of_the_canonical_code_under_the_server_key()
    {
        var hash = Hasher(_key).Hash("k7qh-3mzp-w9xd-r2tf");
        Assert.Equal(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes("K7QH3MZPW9XDR2TF")), hash);
    }

    [Fact]
    public void A_code_matches_its_hash_however_it_is_typed()
    {
        var hasher = Hasher(_key);
        var code = RegistrationCodes.Generate();
        var stored = hasher.Hash(code);
        Assert.True(hasher.Matches(code, stored));
        Assert.True(hasher.Matches(code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), stored));
    }

    [Fact]
    public void Another_code_a_malformed_one_or_another_key_does_not_match()
    {
        var hasher = Hasher(_key);
        var code = RegistrationCodes.Generate();
        var stored = hasher.Hash(code);
        var lastSymbol = code[^1];
        var oneSymbolOff = code[..^1] + RegistrationCodes.Alphabet[(RegistrationCodes.Alphabet.IndexOf(lastSymbol, StringComparison.Ordinal) + 1) % 32];

        Assert.False(hasher.Matches(oneSymbolOff, stored));
        Assert.False(hasher.Matches("not a code", stored));
        Assert.False(hasher.Matches(null, stored));
        Assert.False(Hasher(RandomNumberGenerator.GetBytes(32)).Matches(code, stored));
    }

    [Fact]
    public void A_malformed_input_never_matches_even_the_hash_of_its_placeholder()
    {
        var hasher = Hasher(_key);
        var placeholderHash = hasher.Hash(new string('0', RegistrationCodes.SymbolCount));
        Assert.False(hasher.Matches("garbage", placeholderHash));
        Assert.True(hasher.Matches("0000-0000-0000-0000", placeholderHash));
    }

    [Fact]
    public void Hashing_what_is_not_a_code_is_refused_naming_the_parameter()
    {
        var error = Assert.Throws<ArgumentException>(() => Hasher(_key).Hash("K7QH-3MZP"));

        Assert.Equal("code", error.ParamName);
        Assert.StartsWith("Not a registration code.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_key_shorter_than_32_bytes_is_refused()
    {
        var hasher = Hasher(RandomNumberGenerator.GetBytes(16));
        var error = Assert.Throws<InvalidOperationException>(() => hasher.Hash(RegistrationCodes.Generate()));
        Assert.Contains("Registration:CodeHashKey", error.Message, StringComparison.Ordinal);
    }
}
