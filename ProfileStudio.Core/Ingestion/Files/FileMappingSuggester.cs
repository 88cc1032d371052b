using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>
/// The mapping a file starts from, in the studio and for <c>mapping=auto</c>: <see cref="ColumnMatcher"/>
/// with the keys profiles already have, the configured identity namespaces and the file's first rows.
/// </summary>
public sealed class FileMappingSuggester(FileBatches batches, AttributeKeyCatalog keys, IdentityRulesStore rules)
{
    /// <summary>Rows read to infer the columns' types.</summary>
    public const int SampleRows = 200;

    public async Task<FileMapping?> SuggestAsync(long batchId, FileKind kind, CancellationToken ct = default)
    {
        if (await batches.PreviewAsync(batchId, SampleRows, ct) is not { } preview)
        {
            return null;
        }
        return ColumnMatcher.Suggest(kind, preview.Headers, preview.Rows, await keys.GetAsync(ct), await rules.LoadAsync(ct));
    }
}
