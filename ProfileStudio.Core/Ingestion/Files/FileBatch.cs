namespace ProfileStudio.Core.Ingestion.Files;

public enum FileBatchStatus
{
    /// <summary>Uploaded; a CSV waits for its column mapping.</summary>
    AwaitingMapping = 1,
    Queued = 2,
    Processing = 3,
    Completed = 4,
    Failed = 5,
}

/// <summary>One uploaded file and how far its processing got.</summary>
public sealed class FileBatch
{
    public long Id { get; set; }
    public int SourceId { get; set; }
    public string FileName { get; set; } = "";
    public FileFormat Format { get; set; }
    public FileKind Kind { get; set; }
    public FileBatchStatus Status { get; set; }

    /// <summary>The stored copy, relative to the data directory.</summary>
    public string StoredPath { get; set; } = "";
    public long SizeBytes { get; set; }

    /// <summary>The <see cref="FileMapping"/> as JSON (CSV only).</summary>
    public string? MappingJson { get; set; }

    public long BytesRead { get; set; }
    public long RowsRead { get; set; }
    public long RowsAccepted { get; set; }
    public long RowsRejected { get; set; }

    /// <summary>Rows whose messageId the lake already had from another upload or the API: not stored again.</summary>
    public long RowsDuplicate { get; set; }
    public string? Error { get; set; }
    public string UploadedBy { get; set; } = "";
    public DateTime UploadedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }

    public double Progress => SizeBytes == 0 ? (Status == FileBatchStatus.Completed ? 1 : 0) : Math.Min(1, (double)BytesRead / SizeBytes);
}

/// <summary>A column mapping saved under a name, to reuse for the next export of the same shape.</summary>
public sealed class SavedFileMapping
{
    public int Id { get; set; }
    public int SourceId { get; set; }
    public string Name { get; set; } = "";
    public FileKind Kind { get; set; }
    public string MappingJson { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}
