using Microsoft.Extensions.Options;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// The <c>ProfileStudio:Storage</c> section: which storage provider implements the ports
/// (<see cref="ILakeAppend"/>, <see cref="IUnificationStorage"/>, <see cref="IProfileMaintenance"/>,
/// <see cref="IProfileLookupStore"/>) and the EF Core context.
/// </summary>
public sealed class StorageProviderOptions
{
    public const string Section = "ProfileStudio:Storage";

    /// <summary>The embedded default.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>Every provider this build has, in the words the setting takes (case-insensitive).</summary>
    public static IReadOnlyList<string> Known { get; } = [Sqlite];

    public string Provider { get; set; } = Sqlite;

    /// <summary>The provider named, as <see cref="Known"/> spells it; null when it is not one of them.</summary>
    public string? KnownProvider => Known.FirstOrDefault(k => string.Equals(k, Provider?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Why the setting cannot be used, for the start-up failure.</summary>
    public string Problem =>
        $"{Section}:Provider is \"{Provider}\", which is not a storage provider; valid values: {string.Join(", ", Known)} (the default is {Sqlite}).";
}

/// <summary>Fails the start (and every resolution of a port) when the provider is not one this build has.</summary>
internal sealed class StorageProviderValidation : IValidateOptions<StorageProviderOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageProviderOptions options) =>
        options.KnownProvider is null ? ValidateOptionsResult.Fail(options.Problem) : ValidateOptionsResult.Success;
}
