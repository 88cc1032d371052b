namespace ProfileStudio.Core.Unification;

/// <summary>
/// The names of the profile store's tables. A rebuild writes a shadow copy (prefixed) and swaps it in
/// when done, so the studio keeps reading the old profiles meanwhile.
/// </summary>
public sealed record ProfileTables(string Prefix)
{
    public static ProfileTables Live { get; } = new("");

    public static ProfileTables Rebuild { get; } = new("Rebuild_");

    /// <summary>A profile-store table under this prefix.</summary>
    public string Name(string table) => Prefix + table;

    public string Profiles => Name(ProfileOwnedData.ProfilesTable);
    public string Identities => Name("Identities");
    public string IdentityLinks => Name("IdentityLinks");
    public string ProfileAttributes => Name("ProfileAttributes");
    public string ProfileEvents => Name("ProfileEvents");
    public string IdentityInsights => Name("IdentityInsights");
    public string UnificationCheckpoints => Name(ProfileOwnedData.CheckpointsTable);

    /// <summary>Every table a rebuild recomputes (from the register), in the order they are cleared.</summary>
    public IReadOnlyList<string> All => [.. ProfileOwnedData.RebuiltTables.Select(Name)];
}
