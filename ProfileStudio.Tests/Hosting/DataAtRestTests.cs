using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The app with a certificate configured for the data-protection keys, and a log that tests can read.</summary>
public sealed class KeyCertificateAppFactory : StudioAppFactory
{
    private readonly string _certificatePath = Path.Combine(Path.GetTempPath(), $"profilestudio-keys-{Guid.NewGuid():N}.pfx");

    internal CapturingLoggerProvider Logs { get; } = new();

    public bool WithCertificate { get; init; } = true;

    public const string Password = "Pfx-Pass-2026!";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (WithCertificate)
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=ProfileStudio keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            File.WriteAllBytes(_certificatePath, certificate.Export(X509ContentType.Pfx, Password));
            builder.UseSetting("ProfileStudio:DataProtection:CertificatePath", _certificatePath);
            builder.UseSetting("ProfileStudio:DataProtection:CertificatePassword", Password);
        }
    }

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(_certificatePath);
    }
}

/// <summary>
/// What the app keeps on disk is readable by its owner only (0700 folders, 0600 files, SQLite's -wal and -shm
/// included), and the data-protection keys are encrypted when an operator gives a certificate.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes; the app and its CI run on Linux
public sealed class DataAtRestTests
{
    private static void AssertOwnerOnly(string dataDirectory)
    {
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(dataDirectory));
        foreach (var folder in Directory.GetDirectories(dataDirectory))
        {
            Assert.True(PrivateFiles.FolderMode == File.GetUnixFileMode(folder), $"{folder} is {File.GetUnixFileMode(folder)}");
        }
        foreach (var file in Directory.GetFiles(dataDirectory, "*", SearchOption.AllDirectories))
        {
            Assert.True(PrivateFiles.FileMode == File.GetUnixFileMode(file), $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task Start_NewDataDirectory_DatabaseLogKeysAndUploadsAreOwnerOnly()
    {
        await using var factory = new StudioAppFactory();
        using var client = factory.CreateStudioClient();

        (await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword)).Dispose(); // writes: -wal, -shm, keys
        var source = (await factory.Services.GetRequiredService<SourceRegistry>()
            .EnsureAsync("Files", SourceKind.Batch, "wk_files_source_key_0000000000000001")).Source!;
        var upload = await factory.Services.GetRequiredService<FileBatches>()
            .UploadAsync(source.Id, "people.csv", new MemoryStream("user_id\nu-1\n"u8.ToArray()), AuditActor.System, FileKind.ProfileRecords, null);
        Assert.True(File.Exists(Path.Combine(factory.DataDirectory, upload.Batch!.StoredPath)));

        var database = Path.Combine(factory.DataDirectory, SqliteDatabase.FileName);
        Assert.True(File.Exists(database + "-wal") && File.Exists(database + "-shm"));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(factory.DataDirectory, "keys")));
        AssertOwnerOnly(factory.DataDirectory);
    }

    [Fact]
    public async Task Start_ExistingFilesReadableByOthers_AreTightened()
    {
        await using var factory = new StudioAppFactory();
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var keys = Directory.CreateDirectory(Path.Combine(factory.DataDirectory, "keys")).FullName;
        File.SetUnixFileMode(keys, open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var old = Path.Combine(keys, "key-old.xml");
        await File.WriteAllTextAsync(old, "<key/>");
        File.SetUnixFileMode(old, open);
        File.SetUnixFileMode(factory.DataDirectory, open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        using var client = factory.CreateStudioClient();
        using var response = await client.GetAsync("/healthz");

        Assert.Equal(PrivateFiles.FileMode, File.GetUnixFileMode(old));
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(keys));
        Assert.Equal(PrivateFiles.FolderMode, File.GetUnixFileMode(factory.DataDirectory));
    }

    [Fact]
    public async Task Keys_WithACertificate_AreStoredEncryptedAndSignInStillWorks()
    {
        await using var factory = new KeyCertificateAppFactory();
        using var client = factory.CreateStudioClient();

        using var signIn = await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword);
        using var home = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var key = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Path.Combine(factory.DataDirectory, "keys"), "key-*.xml")));
        Assert.Contains("encryptedSecret", key);
        Assert.Contains("EncryptedData", key);
        Assert.DoesNotContain("<masterKey", key);
        Assert.DoesNotContain(factory.Logs.Entries, e => e.Message.Contains("stored unencrypted"));
    }

    [Fact]
    public async Task Keys_WithoutACertificate_StartWarnsNamingTheSetting()
    {
        await using var factory = new KeyCertificateAppFactory { WithCertificate = false };
        using var client = factory.CreateStudioClient();

        using var response = await client.GetAsync("/Account/Login");

        var warning = Assert.Single(factory.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("stored unencrypted"));
        Assert.Contains("ProfileStudio:DataProtection:CertificatePath", warning.Message);
    }

    [Fact]
    public async Task Keys_CertificateThatCannotBeLoaded_StopsTheStartNamingTheSetting()
    {
        await using var factory = new StudioAppFactory();
        var broken = factory.WithWebHostBuilder(b => b.UseSetting("ProfileStudio:DataProtection:CertificatePath", "/no/such/keys.pfx"));

        var error = await Record.ExceptionAsync(async () =>
        {
            using var client = broken.CreateClient();
            await client.GetAsync("/Account/Login");
        });

        Assert.NotNull(error);
        Assert.Contains("ProfileStudio:DataProtection:CertificatePath", error.ToString());
    }
}
