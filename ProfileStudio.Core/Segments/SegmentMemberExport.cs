using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Segments;

/// <summary>One exported member: the profile id, the chosen namespaces' identifiers and the chosen attributes' values (in the order asked).</summary>
public sealed record SegmentExportRow(long ProfileId, IReadOnlyList<string> Identities, IReadOnlyList<string> Attributes);

/// <summary>
/// A segment's members for a CSV export: the profile id, every identifier in each chosen namespace (joined
/// with "; "), and each chosen attribute's value under the segments' attribute rule (text as is, other values
/// as JSON, empty when absent); an active computed attribute's name gives its current value, as segments read it.
/// Read a page of members at a time, so a large segment streams.
/// </summary>
public sealed class SegmentMemberExport(IDbContextFactory<ProfileStudioDbContext> dbFactory, SegmentStore segments, TimeProvider time)
{
    public const int MaxColumns = 50;
    private const int Page = 500;

    public async IAsyncEnumerable<SegmentExportRow> RowsAsync(
        long segmentId, IReadOnlyList<string> namespaces, IReadOnlyList<string> attributes, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var skip = 0; ; skip += Page)
        {
            var page = await segments.MembersAsync(segmentId, null, skip, Page, ct: ct);
            if (page.Members.Count == 0)
            {
                yield break;
            }
            var ids = page.Members.Select(m => m.ProfileId).ToList();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var identities = namespaces.Count == 0 ? [] : await db.Identities.AsNoTracking()
                .Where(i => ids.Contains(i.ProfileId) && namespaces.Contains(i.Namespace))
                .OrderBy(i => i.Id).Select(i => new { i.ProfileId, i.Namespace, i.Value }).ToListAsync(ct);
            var byProfile = identities.ToLookup(i => i.ProfileId);
            var rows = attributes.Count == 0 ? [] : await db.ProfileAttributes.AsNoTracking().Where(a => ids.Contains(a.ProfileId)).ToListAsync(ct);
            var attributesByProfile = rows.ToLookup(a => a.ProfileId);
            var computed = ids.ToDictionary(id => id, _ => new Dictionary<string, JsonElement>(StringComparer.Ordinal));
            if (attributes.Count > 0)
            {
                var asked = (await SegmentIndexLoader.ComputedDefinitionsAsync(db, ct)).Where(d => attributes.Contains(d.Value.Name)).ToDictionary();
                if (asked.Count > 0)
                {
                    var connection = await SegmentIndexLoader.OpenAsync(db, ct);
                    await SegmentIndexLoader.ReadComputedValuesAsync(connection, SegmentIndexLoader.IdList(ids), asked, time.GetUtcNow().UtcDateTime, computed, ct);
                }
            }
            foreach (var id in ids)
            {
                var values = attributes.Count == 0
                    ? new Dictionary<string, JsonElement>()
                    : SegmentProfileFacts.FromStored(id, attributesByProfile[id], [], [], computed: computed[id]).Attributes;
                yield return new SegmentExportRow(
                    id,
                    namespaces.Select(ns => string.Join("; ", byProfile[id].Where(i => i.Namespace == ns).Select(i => i.Value))).ToList(),
                    attributes.Select(key => values.TryGetValue(key, out var v) ? Cell(v) : "").ToList());
            }
            if (ids.Count < Page)
            {
                yield break;
            }
        }
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => value.GetRawText(),
    };
}
