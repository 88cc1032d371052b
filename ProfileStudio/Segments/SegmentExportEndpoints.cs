using System.Globalization;
using CsvHelper;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Segments;
using ProfileStudio.Hosting;

namespace ProfileStudio.Segments;

/// <summary>
/// <c>GET /profiles/segments/{id}/members.csv?identity=email&amp;attribute=country</c>: a segment's members as CSV
/// for the studio, behind its sign-in. Administrators, marketers and data engineers export; support staff read one
/// profile at a time and do not take lists of people out.
/// </summary>
internal static class SegmentExportEndpoints
{
    public static readonly string[] ExportRoles = [Roles.Admin, Roles.Marketer, Roles.DataEngineer];

    private const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapSegmentExport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/profiles/segments/{id:long}/members.csv", ExportAsync)
            .RequireAuthorization(p => p.RequireRole(ExportRoles))
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The export link for the chosen columns (the studio's export panel builds it).</summary>
    public static string Link(long segmentId, IEnumerable<string> namespaces, IEnumerable<string> attributes) =>
        $"/profiles/segments/{segmentId}/members.csv" + QueryString.Create(
            namespaces.Select(n => new KeyValuePair<string, string?>("identity", n))
                .Concat(attributes.Select(a => new KeyValuePair<string, string?>("attribute", a)))).ToUriComponent();

    private static async Task<IResult> ExportAsync(long id, HttpContext http, SegmentStore segments, SegmentMemberExport export, IdentityRulesStore rules,
        AuditLog audit, CancellationToken ct)
    {
        var namespaces = Names(http.Request.Query["identity"]);
        var attributes = Names(http.Request.Query["attribute"]);
        if (namespaces.Count + attributes.Count > SegmentMemberExport.MaxColumns)
        {
            return ApiErrors.Problem(400, ApiErrors.InvalidRequest, $"At most {SegmentMemberExport.MaxColumns} identity and attribute columns can be exported at once.");
        }
        if (namespaces.Concat(attributes).FirstOrDefault(n => n.Length > MaxNameLength) is { } tooLong)
        {
            return ApiErrors.Problem(400, ApiErrors.InvalidRequest, $"A column name is longer than {MaxNameLength} characters: \"{tooLong[..40]}…\".");
        }
        var known = await rules.LoadAsync(ct);
        if (namespaces.FirstOrDefault(n => known.Find(n) is null) is { } unknown)
        {
            return ApiErrors.Problem(400, ApiErrors.InvalidRequest,
                $"There is no identity namespace \"{unknown}\"; the namespaces are {string.Join(", ", known.Namespaces.Select(n => n.Name))}.");
        }
        if (await segments.GetAsync(id, ct) is not { } details)
        {
            return ApiErrors.Problem(404, ApiErrors.NotFound, $"There is no segment {id}.");
        }
        // A list of people leaving the system: who took it, from where, which columns (the members themselves are not listed).
        var columns = namespaces.Select(n => $"identity {n}").Concat(attributes.Select(a => $"attribute {a}")).ToList();
        await audit.RecordAsync(CurrentActor.FromPrincipal(http.User, http.Connection.RemoteIpAddress?.ToString()), AuditActions.SegmentExported,
            details.Segment.Name, $"columns: profile_id{string.Concat(columns.Select(c => ", " + c))}", ct);
        var fileName = $"segment-{id}-{Slug(details.Segment.Name)}-members.csv";
        return Results.Stream(async stream =>
        {
            await using var writer = new StreamWriter(stream);
            await using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            csv.WriteField("profile_id");
            foreach (var ns in namespaces)
            {
                csv.WriteField(SpreadsheetSafe.Cell(ns));
            }
            foreach (var attribute in attributes)
            {
                csv.WriteField(SpreadsheetSafe.Cell(attribute));
            }
            await csv.NextRecordAsync();
            await foreach (var row in export.RowsAsync(id, namespaces, attributes, ct))
            {
                csv.WriteField(row.ProfileId);
                foreach (var cell in row.Identities.Concat(row.Attributes))
                {
                    csv.WriteField(SpreadsheetSafe.Cell(cell)); // values sent by anyone with a write key
                }
                await csv.NextRecordAsync();
            }
        }, "text/csv", fileName);
    }

    // Repeated and blank names are dropped; the order asked is the column order.
    private static List<string> Names(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).Distinct(StringComparer.Ordinal).ToList();

    private static string Slug(string name)
    {
        var slug = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal))
        {
            slug = slug.Replace("--", "-", StringComparison.Ordinal);
        }
        return slug.Length == 0 ? "segment" : slug[..Math.Min(slug.Length, 60)];
    }
}
