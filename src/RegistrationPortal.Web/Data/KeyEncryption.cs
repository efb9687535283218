using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// The certificate that encrypts the Data Protection keys kept in the database (<c>DataProtection:KeyEncryption</c>).
/// The keys decrypt queued mail's codes, sign-in cookies and the stored server keys; stored in the clear, anyone with
/// the database or a backup could use them. Encrypted with a certificate kept elsewhere, the database alone opens nothing.
/// </summary>
public sealed class KeyEncryption(X509Certificate2 certificate, string path, bool generated)
{
    public const string Section = "DataProtection:KeyEncryption";
    public const string PathKey = Section + ":CertificatePath";
    public const string PasswordKey = Section + ":CertificatePassword";

    /// <summary>The file made outside Production when no path is configured, in the data folder.</summary>
    public const string DefaultFileName = "key-encryption.pfx";

    public X509Certificate2 Certificate { get; } = certificate;

    public string Path { get; } = path;

    /// <summary>Made by this process on this start (outside Production only).</summary>
    public bool Generated { get; } = generated;

    /// <summary>
    /// The configured certificate (a PFX file with its RSA private key; a relative path is under the content root). With
    /// none configured: in Production null (the configuration check refuses to start); elsewhere a self-signed one in
    /// <paramref name="dataFolder"/>, made on first start. Outside Production a configured file that does not exist yet
    /// is made too, so hosts that share a database can be pointed at one file. Throws <see cref="ConfigurationException"/>.
    /// </summary>
    public static KeyEncryption? Load(IConfiguration configuration, IHostEnvironment environment, string dataFolder)
    {
        var configured = configuration[PathKey];
        var password = configuration[PasswordKey];
        if (string.IsNullOrWhiteSpace(configured) && environment.IsProduction())
        {
            return null;
        }

        var path = string.IsNullOrWhiteSpace(configured)
            ? System.IO.Path.Combine(dataFolder, DefaultFileName)
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(environment.ContentRootPath, configured.Trim()));
        var generated = false;
        if (!File.Exists(path))
        {
            if (environment.IsProduction())
            {
                throw new ConfigurationException(ConfigurationCheck.Line(PathKey, $"names no file ({path})"));
            }

            generated = Generate(path, password);
        }

        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
            if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
            {
                throw new ConfigurationException(ConfigurationCheck.Line(PathKey, "must be a PFX file holding an RSA certificate with its private key"));
            }

            return new KeyEncryption(certificate, path, generated);
        }
        catch (CryptographicException ex)
        {
            throw new ConfigurationException(ConfigurationCheck.Line(PathKey, $"cannot be read as a PFX certificate with {PasswordKey} ({ex.Message.ReplaceLineEndings(" ").Trim()})"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(ConfigurationCheck.Line(PathKey, $"cannot be read ({ex.Message})"));
        }
    }

    /// <summary>Makes a self-signed RSA certificate at <paramref name="path"/>, readable by its owner only; false when another process made it first.</summary>
    private static bool Generate(string path, string? password)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=RegistrationPortal Data Protection key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(100));
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            stream.Write(certificate.Export(X509ContentType.Pfx, password));
        }

        try
        {
            // Hosts started together on one database must end up with one certificate: the first to move its file wins.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }

    /// <summary>
    /// Before the host serves or a verb runs: refuses a certificate that does not open the keys the database holds (they
    /// were encrypted with another one: a restored backup, an instance given another file), with one line naming the
    /// setting instead of failures later; then retires a default key stored in the clear.
    /// </summary>
    public static async Task PrepareKeysAsync(IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<KeyEncryption>() is not { } keyEncryption)
        {
            return;
        }

        // Read from the XML (each encrypted key names the certificate it was encrypted for), not by decrypting: a failed
        // decryption is logged with a stack trace, and this check is to give one line.
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        var stored = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var ours = keyEncryption.Certificate.RawData;
        foreach (var key in stored.OfType<string>().Select(XElement.Parse).Where(k => k.Name.LocalName == "key"))
        {
            var secret = key.Descendants().FirstOrDefault(e => e.Name.LocalName == "encryptedSecret");
            var expires = DateTimeOffset.TryParse((string?)key.Element("expirationDate"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at) ? at : DateTimeOffset.MaxValue;
            if (secret is null || expires <= now)
            {
                continue;
            }

            if (!secret.Descendants().Where(e => e.Name.LocalName == "X509Certificate").Any(e => IsCertificate((string)e, ours)))
            {
                throw new ConfigurationException(ConfigurationCheck.Line(PathKey,
                    $"{keyEncryption.Path} does not open the Data Protection keys in the database (key {(string?)key.Attribute("id")} was encrypted with another certificate); use the certificate the database's keys were made with"));
            }
        }

        await RetireUnencryptedDefaultKeyAsync(services, ct);
    }

    private static bool IsCertificate(string base64, byte[] rawData)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var length) && buffer.AsSpan(0, length).SequenceEqual(rawData);
    }

    /// <summary>
    /// Makes a new, encrypted key the default at once when every usable key in the database was stored unencrypted (a
    /// database from before key encryption was configured): from then on nothing new is protected with a key the
    /// database gives away. The old keys stay, so what they protected (sign-in cookies, queued mail) still opens until it
    /// is sent or expires.
    /// </summary>
    private static async Task RetireUnencryptedDefaultKeyAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct);
        var stored = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(ct);
        var unencrypted = stored.OfType<string>()
            .Select(XElement.Parse)
            .Where(k => k.Name.LocalName == "key" && !k.Descendants().Any(e => e.Name.LocalName == "encryptedSecret"))
            .Select(k => Guid.TryParse((string?)k.Attribute("id"), out var id) ? id : Guid.Empty)
            .ToHashSet();
        if (unencrypted.Count == 0)
        {
            return;
        }

        var keys = services.GetRequiredService<IKeyManager>();
        var now = DateTimeOffset.UtcNow;
        var usable = keys.GetAllKeys().Where(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now).ToList();
        if (usable.Count > 0 && usable.All(k => unencrypted.Contains(k.KeyId)))
        {
            keys.CreateNewKey(now, now + services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KeyManagementOptions>>().Value.NewKeyLifetime);
        }
    }
}
