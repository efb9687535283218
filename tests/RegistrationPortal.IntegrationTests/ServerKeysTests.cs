using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The code-hashing and token-signing keys are made once, kept in the database under Data Protection's
/// <c>RegistrationPortal.ServerSecrets</c> purpose (what every instance and every later version reads them with), and read
/// back at the next start, so a restart keeps every issued code checkable.
/// </summary>
public sealed class ServerKeysTests
{
    [Fact]
    public async Task The_keys_are_made_once_kept_protected_in_the_database_and_read_back_at_the_next_start()
    {
        await using var data = new SharedDataDirectory("regportal-keys-", DatabaseProvider.Sqlite);
        byte[] codeKey;
        byte[] tokenKey;
        await using (var first = new PortalFactory(dataDirectory: data.Path))
        {
            var keys = first.Services.GetRequiredService<ServerKeys>();
            (codeKey, tokenKey) = (keys.CodeHashKey, keys.TokenSigningKey);

            var protector = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("RegistrationPortal.ServerSecrets");
            var stored = await first.WithDbAsync(db => db.ServerSecrets.AsNoTracking().OrderBy(s => s.Name).ToListAsync());
            Assert.Equal(["registration-code-hmac", "registration-token-hs256"], stored.Select(s => s.Name));
            Assert.Equal(codeKey, Convert.FromBase64String(protector.Unprotect(stored[0].ProtectedValue)));
            Assert.Equal(tokenKey, Convert.FromBase64String(protector.Unprotect(stored[1].ProtectedValue)));
        }

        Assert.Equal(32, codeKey.Length);
        Assert.Equal(32, tokenKey.Length);
        Assert.NotEqual(codeKey, tokenKey);

        await using var second = new PortalFactory(dataDirectory: data.Path);
        var again = second.Services.GetRequiredService<ServerKeys>();
        Assert.Equal(codeKey, again.CodeHashKey);
        Assert.Equal(tokenKey, again.TokenSigningKey);
    }
}
