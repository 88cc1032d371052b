using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Components.Data.Batches;

internal static class BatchLinks
{
    /// <summary>A file waiting for its mapping opens the mapping step; any other its status page.</summary>
    public static string Of(FileBatch batch) =>
        batch.Status == FileBatchStatus.AwaitingMapping ? $"/data/batches/{batch.Id}/mapping" : $"/data/batches/{batch.Id}";

    public static string KindText(FileKind kind) => kind == FileKind.Events ? "events" : "profile records";
}
