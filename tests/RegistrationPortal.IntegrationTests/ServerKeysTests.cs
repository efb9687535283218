using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
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

    /// <summary>
    /// Two hosts start on a new database at the same moment: the one whose write of the keys comes second finds the
    /// other's already stored and uses them, so codes and tokens either host issues are checked alike by both.
    /// </summary>
    [Fact]
    public async Task A_host_that_another_beats_to_storing_the_keys_uses_the_keys_the_other_stored()
    {
        await using var data = new SharedDataDirectory("regportal-keys-race-", DatabaseProvider.Sqlite);
        await using var race = new OtherHostStoresFirst(data.Path);
        await using var second = new PortalFactory(
            services: s => s.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(race)),
            dataDirectory: data.Path);
        var keys = second.Services.GetRequiredService<ServerKeys>();

        var first = Assert.IsType<PortalFactory>(race.Other).Services.GetRequiredService<ServerKeys>();
        Assert.Equal(first.CodeHashKey, keys.CodeHashKey);
        Assert.Equal(first.TokenSigningKey, keys.TokenSigningKey);
        Assert.Equal(2, await second.WithDbAsync(db => db.ServerSecrets.CountAsync()));
    }

    /// <summary>
    /// Just before this host writes its first key (after it found none stored), starts another host on the same
    /// database, which stores both keys first.
    /// </summary>
    private sealed class OtherHostStoresFirst(string dataDirectory) : DbCommandInterceptor, IAsyncDisposable
    {
        public PortalFactory? Other { get; private set; }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            BeforeWrite(command);
            return result;
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            BeforeWrite(command);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            if (Other is not null)
            {
                await Other.DisposeAsync();
            }
        }

        private void BeforeWrite(DbCommand command)
        {
            if (Other is null && command.CommandText.Contains("INSERT INTO \"ServerSecrets\"", StringComparison.Ordinal))
            {
                Other = new PortalFactory(dataDirectory: dataDirectory);
                _ = Other.Server;
            }
        }
    }
}
