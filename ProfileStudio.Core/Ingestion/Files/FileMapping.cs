namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>What one row of a file is: one person's profile record, or one event.</summary>
public enum FileKind
{
    ProfileRecords = 1,
    Events = 2,
}

public enum FileFormat
{
    Csv = 1,
    Ndjson = 2,
}

/// <summary>Where a CSV column's value goes.</summary>
public enum ColumnTarget
{
    Ignore = 0,
    /// <summary>An identifier; <see cref="ColumnMapping.Name"/> is the namespace (user_id, email, crm_id, …).</summary>
    Identity = 1,
    /// <summary>A profile attribute; <see cref="ColumnMapping.Name"/> is its key (dots nest: address.city).</summary>
    Attribute = 2,
    EventName = 3,
    EventTimestamp = 4,
    /// <summary>An event property; <see cref="ColumnMapping.Name"/> is its key.</summary>
    EventProperty = 5,
}

public enum AttributeType
{
    Text = 0,
    Number = 1,
    Boolean = 2,
    Date = 3,
}

public sealed record ColumnMapping(string Column, ColumnTarget Target, string? Name = null, AttributeType Type = AttributeType.Text);

/// <summary>
/// How the columns of a CSV become messages. <see cref="NullToken"/> in a cell removes the attribute;
/// an empty cell leaves the stored value alone. <see cref="EventName"/> names every event when no column does.
/// </summary>
public sealed record FileMapping(FileKind Kind, IReadOnlyList<ColumnMapping> Columns, string NullToken = "NULL", string? EventName = null)
{
    /// <summary>
    /// A first guess from the header names alone, for callers with no profiles or sample to look at; the
    /// studio and <c>mapping=auto</c> use <see cref="FileMappingSuggester"/>, which also knows the existing
    /// attributes, the configured namespaces and the values.
    /// </summary>
    public static FileMapping Suggest(FileKind kind, IReadOnlyList<string> headers) =>
        ColumnMatcher.Suggest(kind, headers, [], KnownAttributeKeys.None, Identity.IdentityRules.Default);

    /// <summary>Whether a column's name (or a part of a dotted name) spells a write key: its values are secrets, never stored.</summary>
    public static bool HoldsWriteKeys(string? name) =>
        name is not null && (WriteKeyRedaction.IsWriteKey(name.Trim()) || name.Split('.').Any(part => WriteKeyRedaction.IsWriteKey(part.Trim())));

    /// <summary>Mistakes that make the mapping unusable, in words a user can act on; empty when it is fine.</summary>
    public IReadOnlyList<string> Problems(IReadOnlyList<string> headers)
    {
        var problems = new List<string>();
        foreach (var column in Columns.Where(c => c.Target != ColumnTarget.Ignore && (HoldsWriteKeys(c.Column) || HoldsWriteKeys(c.Name))))
        {
            problems.Add($"Column \"{column.Column}\" holds write keys, which are never stored: ignore the column or leave it out of the file.");
        }
        foreach (var column in Columns.Where(c => c.Target != ColumnTarget.Ignore && !headers.Contains(c.Column)))
        {
            problems.Add($"The file has no column \"{column.Column}\".");
        }
        if (!Columns.Any(c => c.Target == ColumnTarget.Identity))
        {
            problems.Add("Map at least one column to an identity (user_id, email, phone, crm_id, …): rows must say whom they are about.");
        }
        foreach (var column in Columns.Where(c => c.Target is ColumnTarget.Identity or ColumnTarget.Attribute or ColumnTarget.EventProperty && string.IsNullOrWhiteSpace(c.Name)))
        {
            problems.Add($"Column \"{column.Column}\" needs a name for its {column.Target.ToString().ToLowerInvariant()}.");
        }
        if (Kind == FileKind.Events && !Columns.Any(c => c.Target == ColumnTarget.EventName) && string.IsNullOrWhiteSpace(EventName))
        {
            problems.Add("Map a column to the event name, or give one event name for every row.");
        }
        if (Kind == FileKind.ProfileRecords && Columns.Any(c => c.Target is ColumnTarget.EventName or ColumnTarget.EventTimestamp or ColumnTarget.EventProperty))
        {
            problems.Add("A profile-records file has no event columns; choose \"events\" or map those columns to attributes.");
        }
        if (Kind == FileKind.Events && Columns.Any(c => c.Target == ColumnTarget.Attribute))
        {
            problems.Add("An events file has no attribute columns; map them to event properties.");
        }
        foreach (var duplicate in Columns.Where(c => c.Target is ColumnTarget.Attribute or ColumnTarget.EventProperty)
                     .GroupBy(c => (c.Target, c.Name)).Where(g => g.Count() > 1))
        {
            problems.Add($"Two columns write the same {duplicate.Key.Target.ToString().ToLowerInvariant()} \"{duplicate.Key.Name}\".");
        }
        foreach (var column in Columns.Where(c => c.Target is ColumnTarget.Attribute or ColumnTarget.EventProperty && !string.IsNullOrWhiteSpace(c.Name)))
        {
            if ((AttributeKeys.Problem(column.Name) ?? MessageShape.NestedKeyProblem(column.Name!.Trim())) is { } problem)
            {
                problems.Add($"Column \"{column.Column}\": {problem}");
            }
        }
        var paths = Columns.Where(c => c.Target is ColumnTarget.Attribute or ColumnTarget.EventProperty && !string.IsNullOrWhiteSpace(c.Name))
            .Select(c => c.Name!.Trim()).ToList();
        foreach (var parent in paths.Where(p => paths.Any(other => other.StartsWith(p + ".", StringComparison.Ordinal))).Distinct())
        {
            problems.Add($"\"{parent}\" is both a value and the parent of {string.Join(", ", paths.Where(o => o.StartsWith(parent + ".", StringComparison.Ordinal)))}; rename one.");
        }
        return problems;
    }
}
