using System.Globalization;
using CsvHelper;
using Microsoft.AspNetCore.Http.Features;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;
using ProfileStudio.Hosting;
using ProfileStudio.Security;

namespace ProfileStudio.Ingestion;

/// <summary>
/// File uploads over HTTP (<c>POST /api/v1/sources/{id}/batches</c>, authenticated by the batch source's
/// write key or an API token with the <c>ingest:batch</c> scope), their status, and the rejected-rows
/// report (also for the studio).
/// </summary>
internal static class FileBatchEndpoints
{
    public static IEndpointRouteBuilder MapFileBatchApi(this IEndpointRouteBuilder endpoints)
    {
        // The policy reads an API token (403 without ingest:batch, rate-limited per token); a write key is checked below.
        var api = endpoints.MapGroup("/api/v1")
            .RequireAuthorization(ApiPolicies.WriteKeyOrIngestBatch)
            .RequireRateLimiting(ApiTokenRateLimitPolicy.Name)
            .DisableAntiforgery()
            .WithTags("Batch files");
        // Any whole number in the address is answered as a source id (3000000000 is no source, as 999999 is not), not as no API.
        api.MapPost("/sources/{sourceId:long}/batches", UploadAsync)
            .WithSummary("Upload a CSV or NDJSON file to a batch source (body: the file, or multipart field \"file\").")
            .WithParameter("sourceId", "The batch source's id (Data › Sources).")
            .WithParameter("kind", "profiles (one person per row, the default) or events (one event per row).")
            .WithParameter("mapping", "For a CSV: the id or name of a mapping saved in the studio, or auto to map the columns by their names.")
            .WithParameter("filename", "The file's name as the studio lists it; the multipart file's own name when left out.");
        api.MapGet("/batches/{batchId:long}", StatusAsync).WithSummary("A file batch's status and counts.")
            .WithParameter("batchId", "The batch's id, as the upload answered it.");
        api.MapGet("/batches/{batchId:long}/rejected.csv", ReportAsync).WithSummary("The rejected rows of a file, with line number and reason.")
            .WithParameter("batchId", "The batch's id, as the upload answered it.");

        // The same report for the studio, behind its sign-in.
        endpoints.MapGet("/data/batches/{batchId:long}/rejected.csv", (long batchId, FileBatches batches, CancellationToken ct) => WriteReportAsync(batchId, batches, ct))
            .RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.DataEngineer));
        return endpoints;
    }

    private static async Task<IResult> UploadAsync(
        long sourceId, HttpContext http, SourceRegistry sources, FileBatches batches, FileMappingSuggester suggester,
        string? kind, string? mapping, string? filename, CancellationToken ct)
    {
        // Who asks first (a credential this server knows), then what: a source that does not exist is 404 whatever the request
        // holds (it was a 400 \"The source does not exist.\" with a token), then whether this credential may upload to it.
        if (await AuthorizeAsync(http, sources, null, ct) is { } unknown)
        {
            return unknown;
        }
        if (sourceId is < int.MinValue or > int.MaxValue || !(await sources.NamesAsync(ct)).ContainsKey((int)sourceId))
        {
            return ApiErrors.Problem(404, ApiErrors.NotFound,
                $"There is no source {sourceId}. Check the id in the address: a batch source's Setup tab in the studio (Data › Sources) shows its upload address.");
        }
        var id = (int)sourceId; // a source that exists, so within int
        if (await AuthorizeAsync(http, sources, id, ct) is { } refused)
        {
            return refused;
        }
        // Files may be far larger than Kestrel's default 30 MB request limit; FileBatches enforces its own.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = FileBatches.MaxFileBytes;
        }
        var fileKind = kind?.ToLowerInvariant() switch
        {
            null or "" or "profiles" or "profile_records" => FileKind.ProfileRecords,
            "events" => FileKind.Events,
            _ => (FileKind?)null,
        };
        if (fileKind is null)
        {
            return ApiErrors.Problem(400, ApiErrors.InvalidRequest, "kind must be \"profiles\" (one person per row) or \"events\" (one event per row).");
        }

        Stream content;
        string name;
        if (http.Request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await http.Request.ReadFormAsync(ct);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or BadHttpRequestException)
            {
                // A body cut short, a missing boundary, a part past the limits: the client's form, not the server.
                return ApiErrors.Problem(400, ApiErrors.InvalidRequest,
                    "The body is not a readable multipart form (check the boundary in Content-Type and that the body is complete), "
                    + "or send the file as the raw body with a filename parameter.");
            }
            if (form.Files.GetFile("file") is not { } file)
            {
                return ApiErrors.Problem(400, ApiErrors.InvalidRequest, "Send the file in a multipart field named \"file\".");
            }
            if (form.Files.Count > 1)
            {
                // One batch per request: a second file would otherwise be dropped without a word.
                return ApiErrors.Problem(400, ApiErrors.InvalidRequest, $"The form holds {form.Files.Count} files; send one file per request (each becomes its own batch).");
            }
            content = file.OpenReadStream();
            name = filename ?? file.FileName;
        }
        else
        {
            content = http.Request.Body;
            name = filename ?? (http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true ? "upload.ndjson" : "upload.csv");
        }

        FileMapping? fileMapping = null;
        if (FileBatches.FormatOf(name) == FileFormat.Csv)
        {
            if (string.IsNullOrWhiteSpace(mapping))
            {
                return ApiErrors.Problem(400, ApiErrors.InvalidRequest,
                    "A CSV needs a mapping: the id or name of a mapping saved in the studio, or mapping=auto to map columns by their names.");
            }
            if (!mapping.Equals("auto", StringComparison.OrdinalIgnoreCase))
            {
                if (await batches.FindSavedMappingAsync(id, mapping, ct) is not { } saved)
                {
                    return ApiErrors.Problem(400, ApiErrors.InvalidRequest, $"This source has no saved mapping \"{mapping}\".");
                }
                fileMapping = FileBatches.ReadMapping(saved.MappingJson);
            }
        }

        await using (content)
        {
            var ip = http.Connection.RemoteIpAddress?.ToString();
            var uploadedBy = ApiTokenClaims.IsApiToken(http.User)
                ? new AuditActor(null, $"API token {http.User.Identity!.Name}", ip)
                // The key AuthorizeAsync accepted (from the registry's cache): its source, by name.
                : new AuditActor(null, $"write key of {(await sources.FindByWriteKeyAsync(AuthorizationHeader.BasicUserName(http.Request) ?? "", ct))?.Name ?? $"source #{sourceId}"}", ip);
            var upload = await batches.UploadAsync(id, name, content, uploadedBy, fileKind.Value, fileMapping, ct);
            if (upload is { Succeeded: true, Batch: { Status: FileBatchStatus.AwaitingMapping } waiting } && mapping is not null)
            {
                // mapping=auto: the studio's suggestion (existing attributes, namespaces, types from the values), then start.
                var suggested = await suggester.SuggestAsync(waiting.Id, fileKind.Value, ct);
                upload = await batches.StartAsync(uploadedBy, waiting.Id, suggested!, ct);
                if (!upload.Succeeded)
                {
                    // refused: no batch or file is left waiting
                    await batches.DiscardAsync(uploadedBy, waiting.Id, "refused: " + string.Join(" ", upload.Problems ?? []), CancellationToken.None);
                }
            }
            if (!upload.Succeeded)
            {
                return ApiErrors.Problem(400, ApiErrors.Validation, string.Join(" ", upload.Problems ?? []));
            }
            var batch = upload.Batch!;
            return TypedResults.Accepted($"/api/v1/batches/{batch.Id}", Describe(batch));
        }
    }

    private static async Task<IResult> StatusAsync(long batchId, HttpContext http, SourceRegistry sources, FileBatches batches, CancellationToken ct)
    {
        var batch = await batches.GetAsync(batchId, ct);
        if (await AuthorizeAsync(http, sources, batch?.SourceId, ct) is { } refused)
        {
            return refused;
        }
        return batch is null ? ApiErrors.Problem(404, ApiErrors.NotFound, "File batch was not found.") : TypedResults.Ok(Describe(batch));
    }

    private static async Task<IResult> ReportAsync(long batchId, HttpContext http, SourceRegistry sources, FileBatches batches, CancellationToken ct)
    {
        var batch = await batches.GetAsync(batchId, ct);
        if (await AuthorizeAsync(http, sources, batch?.SourceId, ct) is { } refused)
        {
            return refused;
        }
        return batch is null ? ApiErrors.Problem(404, ApiErrors.NotFound, "File batch was not found.") : await WriteReportAsync(batchId, batches, ct);
    }

    private static async Task<IResult> WriteReportAsync(long batchId, FileBatches batches, CancellationToken ct)
    {
        if (await batches.GetAsync(batchId, ct) is not { } batch)
        {
            return Results.NotFound();
        }
        return Results.Stream(async stream =>
        {
            await using var writer = new StreamWriter(stream);
            await using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            csv.WriteField("line");
            csv.WriteField("reason");
            csv.WriteField("row");
            await csv.NextRecordAsync();
            await foreach (var row in batches.RejectedRowsAsync(batchId, ct))
            {
                csv.WriteField(row.LineNumber);
                csv.WriteField(SpreadsheetSafe.Cell(row.Error)); // a reason may quote the uploaded value
                csv.WriteField(SpreadsheetSafe.Cell(FileRowConverter.OriginalLine(row.Payload))); // the line as uploaded, not the stored JSON
                await csv.NextRecordAsync();
            }
        }, "text/csv", $"{Path.GetFileNameWithoutExtension(batch.FileName)}-rejected-rows.csv");
    }

    /// <summary>
    /// The caller must hold the write key of the source the batch belongs to, or an API token (whose
    /// <c>ingest:batch</c> scope the group's policy has checked), which may use every batch source.
    /// </summary>
    private static async Task<IResult?> AuthorizeAsync(HttpContext http, SourceRegistry sources, int? sourceId, CancellationToken ct)
    {
        if (ApiTokenClaims.IsApiToken(http.User))
        {
            return null;
        }
        if (AuthorizationHeader.BearerToken(http.Request) is not null)
        {
            return ApiErrors.Problem(401, ApiErrors.Authentication, ApiTokenAuthenticationHandler.UnknownToken);
        }
        if (AuthorizationHeader.BasicUserName(http.Request) is not { } key)
        {
            return ApiErrors.Problem(401, ApiErrors.Authentication,
                "Send the batch source's write key as the Basic-auth user name, or an API token with the ingest:batch scope.");
        }
        var source = await sources.FindByWriteKeyAsync(key, ct);
        if (source is null)
        {
            return ApiErrors.Problem(401, ApiErrors.Authentication, "Unknown write key or API token.");
        }
        if (WriteKeyAuthentication.Refusal(source) is { } refused)
        {
            return refused;
        }
        return sourceId is { } id && source.Id != id
            ? ApiErrors.Problem(401, ApiErrors.Authentication, "This write key belongs to another source.")
            : null;
    }

    private static object Describe(FileBatch b) => new
    {
        id = b.Id,
        sourceId = b.SourceId,
        fileName = b.FileName,
        format = b.Format.ToString().ToLowerInvariant(),
        kind = b.Kind == FileKind.Events ? "events" : "profiles",
        status = b.Status.ToString(),
        sizeBytes = b.SizeBytes,
        progress = Math.Round(b.Progress, 4),
        rowsRead = b.RowsRead,
        rowsAccepted = b.RowsAccepted,
        rowsRejected = b.RowsRejected,
        rowsDuplicate = b.RowsDuplicate,
        error = b.Error,
        uploadedAt = b.UploadedAt,
        completedAt = b.CompletedAt,
        rejectedReport = $"/api/v1/batches/{b.Id}/rejected.csv",
    };
}
