namespace ProfileStudio.Core.Hosting;

/// <summary>The <c>ProfileStudio</c> section of appsettings.json.</summary>
public sealed class ProfileStudioOptions
{
    public const string Section = "ProfileStudio";

    /// <summary>Folder of the SQLite database; relative paths are taken from the current directory.</summary>
    public string DataDirectory { get; set; } = "./data";

    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);

    public BootstrapOptions Bootstrap { get; set; } = new();

    public DataProtectionSettings DataProtection { get; set; } = new();
}

/// <summary>How the data-protection keys (they sign sign-in cookies and antiforgery tokens) are protected at rest.</summary>
public sealed class DataProtectionSettings
{
    /// <summary>A PKCS#12 (.pfx) file whose certificate encrypts the keys; empty keeps them unencrypted (with a warning).</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}

public sealed class BootstrapOptions
{
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }

    /// <summary>Sources created (or whose key is set) at start-up, so automated set-ups need no clicks.</summary>
    public List<BootstrapSource> Sources { get; set; } = [];

    /// <summary>API tokens created (or whose secret and scopes are set) at start-up; only their hashes are stored.</summary>
    public List<BootstrapApiToken> ApiTokens { get; set; } = [];
}

public sealed class BootstrapSource
{
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "streaming";
    public string WriteKey { get; set; } = "";
}

public sealed class BootstrapApiToken
{
    public string Name { get; set; } = "";
    public string Token { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
}
