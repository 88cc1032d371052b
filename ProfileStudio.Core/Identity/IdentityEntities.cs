namespace ProfileStudio.Core.Identity;

/// <summary>A namespace's rules as an administrator edits them (Identity › Namespaces).</summary>
public sealed class IdentityNamespace
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public Normalization Normalization { get; set; }
    public int Priority { get; set; }

    /// <summary>Most values of this namespace in one profile; 0 means no limit.</summary>
    public int Limit { get; set; }

    public List<string> BlockedValues { get; set; } = [];
    public List<string> BlockedPatterns { get; set; } = [];
    public string? DefaultCountry { get; set; }
    public bool IsDevice { get; set; }
    public List<string> TraitKeys { get; set; } = [];
    public bool BuiltIn { get; set; }

    /// <summary>
    /// +1 per saved change: an editor sends back the revision it loaded, and the store refuses the change if another was
    /// saved since (a save from a stale tab would otherwise undo it, or bring back a namespace deleted meanwhile).
    /// </summary>
    public int Revision { get; set; } = 1;

    /// <summary>The last saved change (the built-in namespaces: when they were created, by "system").</summary>
    public DateTime UpdatedAt { get; set; }

    public string UpdatedBy { get; set; } = "";

    public IdentityNamespaceRule ToRule() =>
        new(Name, Normalization, Priority, Limit, BlockedValues, BlockedPatterns, DefaultCountry, IsDevice, TraitKeys);
}

/// <summary>One identifier (namespace + normalized value) and the profile it belongs to now.</summary>
public sealed class IdentityRecord
{
    public long Id { get; set; }
    public string Namespace { get; set; } = "";
    public string Value { get; set; } = "";
    public long ProfileId { get; set; }
    public int SourceId { get; set; }
    public long FirstMessageId { get; set; }
    public long LastMessageId { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
}

/// <summary>An edge of the graph: two identifiers seen together in a message.</summary>
public sealed class IdentityLink
{
    public long Id { get; set; }
    public long FromIdentityId { get; set; }
    public long ToIdentityId { get; set; }
    public int SourceId { get; set; }
    public long FirstMessageId { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
}

/// <summary>Two identifiers an administrator ruled must never be in one profile.</summary>
public sealed class NeverLinkRule
{
    public int Id { get; set; }
    public string NamespaceA { get; set; } = "";
    public string ValueA { get; set; } = "";
    public string NamespaceB { get; set; } = "";
    public string ValueB { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
}

public static class InsightKinds
{
    public const string Merged = "merged";
    public const string Refused = "refused";
    public const string Blocked = "blocked";
    public const string Reassigned = "reassigned";
    public const string Unidentified = "unidentified";
    public const string Split = "split";
}

/// <summary>One identity decision, with the message that caused it (Identity › Insights).</summary>
public sealed class IdentityInsight
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string Kind { get; set; } = "";
    public long? ProfileId { get; set; }
    public long? OtherProfileId { get; set; }
    public string? Namespace { get; set; }
    public string? Value { get; set; }
    public long? MessageId { get; set; }
    public int? SourceId { get; set; }
    public string Detail { get; set; } = "";
}
