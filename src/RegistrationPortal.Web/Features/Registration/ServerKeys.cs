using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The server's secret keys. The code-hashing key comes from <c>Registration:CodeHashKey</c> or, when that is
/// empty, is made once and kept in the database protected by Data Protection, so every instance on the
/// database shares it and a restart keeps every issued code checkable. The key that signs temporary
/// registration tokens is always kept that way: a token only lives minutes, so nothing needs to configure it.
/// </summary>
public sealed class ServerKeys(
    IOptions<RegistrationOptions> options,
    IDbContextFactory<PortalDbContext> contexts,
    IDataProtectionProvider dataProtection)
{
    private const string CodeKeyName = "registration-code-hmac";
    private const string TokenKeyName = "registration-token-hs256";

    private readonly Lazy<byte[]> _codeHashKey = new(() => LoadCodeHashKey(options.Value, contexts, dataProtection));
    private readonly Lazy<byte[]> _tokenSigningKey = new(() => LoadStoredKey(TokenKeyName, contexts, dataProtection));

    public byte[] CodeHashKey => _codeHashKey.Value;

    /// <summary>The HMAC-SHA-256 key of the temporary authentication tokens that init hands out.</summary>
    public byte[] TokenSigningKey => _tokenSigningKey.Value;

    private static byte[] LoadCodeHashKey(RegistrationOptions options, IDbContextFactory<PortalDbContext> contexts, IDataProtectionProvider dataProtection)
    {
        if (!string.IsNullOrWhiteSpace(options.CodeHashKey))
        {
            var configured = Convert.FromBase64String(options.CodeHashKey);
            if (configured.Length < 32)
            {
                throw new InvalidOperationException("Registration:CodeHashKey must be the base64 of at least 32 bytes.");
            }

            return configured;
        }

        return LoadStoredKey(CodeKeyName, contexts, dataProtection);
    }

    private static byte[] LoadStoredKey(string name, IDbContextFactory<PortalDbContext> contexts, IDataProtectionProvider dataProtection)
    {
        var protector = dataProtection.CreateProtector("RegistrationPortal.ServerSecrets");
        using var db = contexts.CreateDbContext();
        var stored = db.ServerSecrets.AsNoTracking().FirstOrDefault(s => s.Name == name);
        if (stored is null)
        {
            var key = RandomNumberGenerator.GetBytes(32);
            db.ServerSecrets.Add(new ServerSecret { Name = name, ProtectedValue = protector.Protect(Convert.ToBase64String(key)) });
            try
            {
                db.SaveChanges();
                return key;
            }
            catch (DbUpdateException)
            {
                // Another process made it first: use theirs (read without tracking, so the entity that failed to save
                // does not matter).
                stored = db.ServerSecrets.AsNoTracking().First(s => s.Name == name);
            }
        }

        return Convert.FromBase64String(protector.Unprotect(stored.ProtectedValue));
    }
}
