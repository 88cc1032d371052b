using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Hosting;

/// <summary>
/// The data-protection keys (they sign sign-in cookies and antiforgery tokens) live beside the database,
/// so sessions survive a restart and move with the data; the folder is 0700 and each key file 0600. Linux
/// has no DPAPI: when an operator configures a certificate (<c>ProfileStudio:DataProtection:CertificatePath</c>
/// and <c>CertificatePassword</c>), the keys are encrypted with it; otherwise they are stored in clear and
/// the start says so.
/// </summary>
internal static class DataProtectionKeys
{
    private const string PathKey = "ProfileStudio:DataProtection:CertificatePath";

    public static IServiceCollection AddDataProtectionKeys(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("ProfileStudio");
        services.AddSingleton<KeyCertificate>();
        services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<ProfileStudioOptions>, KeyCertificate, ILoggerFactory>((o, studio, certificate, logs) =>
            {
                var folder = Path.Combine(studio.Value.DataDirectoryFullPath, "keys");
                o.XmlRepository = new PrivateKeyRepository(folder, logs);
                if (certificate.Value is { } cert)
                {
                    o.XmlEncryptor = new CertificateKeyEncryptor(cert, logs);
                }
                else
                {
                    logs.CreateLogger(typeof(DataProtectionKeys)).LogWarning(
                        "The data-protection keys in {Folder} are stored unencrypted (readable by anyone who can read that folder). "
                        + "Set {PathKey} and ProfileStudio:DataProtection:CertificatePassword to a PKCS#12 certificate to encrypt them (see the README).",
                        folder, PathKey);
                }
            });
        return services;
    }

    /// <summary>The configured certificate, loaded once; a wrong path or password stops the start naming the setting.</summary>
    internal sealed class KeyCertificate(IOptions<ProfileStudioOptions> options)
    {
        private readonly Lazy<X509Certificate2?> _certificate = new(() => Load(options.Value.DataProtection));

        public X509Certificate2? Value => _certificate.Value;

        private static X509Certificate2? Load(DataProtectionSettings settings)
        {
            if (string.IsNullOrWhiteSpace(settings.CertificatePath))
            {
                return null;
            }
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath, settings.CertificatePassword);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{PathKey} \"{settings.CertificatePath}\" could not be loaded: {e.Message}", e);
            }
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"{PathKey} \"{settings.CertificatePath}\" has no private key; the keys could not be decrypted with it.");
            }
            return certificate;
        }
    }

    /// <summary>
    /// The framework's certificate encryption (XML encryption to the certificate's RSA key), recorded with
    /// <see cref="CertificateKeyDecryptor"/> as the way back, which takes the certificate from the
    /// configuration instead of the machine's certificate store.
    /// </summary>
    private sealed class CertificateKeyEncryptor(X509Certificate2 certificate, ILoggerFactory logs) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
            new(new CertificateXmlEncryptor(certificate, logs).Encrypt(plaintextElement).EncryptedElement, typeof(CertificateKeyDecryptor));
    }

    /// <summary>Decrypts a key encrypted by <see cref="CertificateKeyEncryptor"/> with the configured certificate.</summary>
    internal sealed class CertificateKeyDecryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement)
        {
            var certificate = services.GetRequiredService<KeyCertificate>().Value
                ?? throw new InvalidOperationException($"A data-protection key is encrypted with a certificate, but {PathKey} is not set.");
            var document = new System.Xml.XmlDocument { PreserveWhitespace = true };
            // Wrapped, so the decrypted element replaces the EncryptedData inside a root that stays.
            document.Load(new XElement("root", encryptedElement).CreateReader());
            new EncryptedXmlWithCertificate(document, certificate).DecryptDocument();
            return XElement.Load(new System.Xml.XmlNodeReader(document.DocumentElement!.FirstChild!));
        }
    }

    private sealed class EncryptedXmlWithCertificate(System.Xml.XmlDocument document, X509Certificate2 certificate)
        : System.Security.Cryptography.Xml.EncryptedXml(document)
    {
        public override byte[]? DecryptEncryptedKey(System.Security.Cryptography.Xml.EncryptedKey encryptedKey)
        {
            using var rsa = certificate.GetRSAPrivateKey() ?? throw new CryptographicException("The certificate has no RSA private key.");
            var oaep = encryptedKey.EncryptionMethod?.KeyAlgorithm == XmlEncRSAOAEPUrl;
            return DecryptKey(encryptedKey.CipherData.CipherValue!, rsa, oaep);
        }
    }

    /// <summary>The framework's file repository in an owner-only folder, its key files set to 0600 as they are written.</summary>
    private sealed class PrivateKeyRepository(string folder, ILoggerFactory logs) : IXmlRepository
    {
        private readonly FileSystemXmlRepository _files = new(PrivateFiles.CreateDirectory(folder), logs);

        public IReadOnlyCollection<XElement> GetAllElements() => _files.GetAllElements();

        public void StoreElement(XElement element, string friendlyName)
        {
            PrivateFiles.CreateDirectory(folder);
            _files.StoreElement(element, friendlyName);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                PrivateFiles.Restrict(file);
            }
        }
    }
}
