namespace ProfileStudio.Core.Security;

/// <summary>What an API token may do. Each scope is also the name of the authorization policy that requires it.</summary>
public static class ApiScopes
{
    public const string ProfilesRead = "profiles:read";
    public const string ProfilesDelete = "profiles:delete";
    public const string IngestBatch = "ingest:batch";

    public static IReadOnlyList<string> All { get; } = [ProfilesRead, ProfilesDelete, IngestBatch];

    public static bool IsKnown(string scope) => All.Contains(scope);

    public static string Describe(string scope) => scope switch
    {
        ProfilesRead => "Read profiles: traits, events, identifiers, metadata and segments",
        ProfilesDelete => "Delete profiles",
        IngestBatch => "Upload files to any batch source and read their status and rejected rows",
        _ => scope,
    };

    /// <summary>The scopes in the order of <see cref="All"/>, without duplicates; null when one is unknown.</summary>
    public static IReadOnlyList<string>? Normalize(IEnumerable<string> scopes, out string? unknown)
    {
        var wanted = scopes.Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
        unknown = wanted.FirstOrDefault(s => !IsKnown(s));
        return unknown is null ? All.Where(wanted.Contains).ToList() : null;
    }
}
