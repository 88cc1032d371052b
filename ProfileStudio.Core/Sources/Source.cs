namespace ProfileStudio.Core.Sources;

public enum SourceKind
{
    Streaming = 1,
    Batch = 2,
}

/// <summary>Where data comes from: a website, an app, the CRM export, the point of sale.</summary>
public sealed class Source
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public SourceKind Kind { get; set; }
    public string Description { get; set; } = "";

    /// <summary>SHA-256 of the write key; the key itself is shown once and never stored.</summary>
    public string WriteKeyHash { get; set; } = "";

    /// <summary>The key's last characters, so people can tell keys apart.</summary>
    public string WriteKeyHint { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Rank used by source-precedence merge policies; lower wins.</summary>
    public int Precedence { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? KeyRotatedAt { get; set; }
}

/// <summary>Received / accepted / rejected counts of one source in one hour (UTC), kept by the lake writer.</summary>
public sealed class SourceHourlyStats
{
    public int SourceId { get; set; }
    public DateTime Hour { get; set; }
    public long Received { get; set; }
    public long Accepted { get; set; }
    public long Rejected { get; set; }
    public DateTime LastMessageAt { get; set; }
}
