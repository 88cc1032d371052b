using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.OpenApi;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.ComputedAttributes.Expressions;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Segments;
using ProfileStudio.Hosting;
using ProfileStudio.Security;

namespace ProfileStudio.Profiles;

/// <summary>
/// The Profile API: <c>/api/v1/profiles/{namespace}:{value}/{traits,external_ids,events,metadata}</c> and
/// <c>DELETE /api/v1/profiles/{namespace}:{value}</c>, with Segment-shaped answers; the read handlers also
/// answer Segment's own paths (<c>/v1/spaces/{space}/collections/users/profiles/…</c>), so code written for
/// Segment switches by changing its base URL. The identifier is one path segment, split at its first colon.
/// </summary>
internal static class ProfileApiEndpoints
{
    private const int DefaultTraitLimit = 10;
    private const int MaxTraitLimit = 200;
    private const int DefaultIdLimit = 25;
    private const int MaxIdLimit = 100;
    private const int DefaultSegmentLimit = 25;
    private const int MaxSegmentLimit = 100;

    /// <summary>Segment's field names (<c>has_more</c>, <c>source_id</c>); trait names are kept as they are.</summary>
    private static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        MaxDepth = StoredJson.MaxDepth, // event properties stored under any earlier nesting limit still read back
    };

    public static IEndpointRouteBuilder MapProfileApi(this IEndpointRouteBuilder endpoints)
    {
        MapReads(endpoints.MapGroup("/api/v1/profiles/{identifier}"), "");
        MapReads(endpoints.MapGroup("/v1/spaces/{space}/collections/users/profiles/{identifier}"), " (Segment's path)");
        endpoints.MapDelete("/api/v1/profiles/{identifier}", DeleteAsync)
            .RequireApiToken(ApiScopes.ProfilesDelete)
            .AddEndpointFilter(OneValueEachAsync)
            .DisableAntiforgery()
            .WithTags("Profile API")
            .WithName("DeleteProfile")
            .WithSummary("Delete a profile: its identities, attributes and events (erase=true also erases the lake messages that carried its identities).")
            .WithParameter("identifier", IdentifierDescription)
            .WithParameter("erase", "true also erases the lake messages that carried the profile's identities; false (the default) keeps them.", JsonSchemaType.Boolean);
        return endpoints;
    }

    private const string IdentifierDescription =
        "The profile, as namespace:value (e.g. email:ada@example.com, user_id:42) or profile_id:<id>; percent-encode a value that holds / or %.";

    private const string NextDescription = "The cursor of the next page: cursor.next of the previous answer, as it was given.";

    /// <summary>The query parameters that take one value (include and exclude take several, comma-separated or repeated).</summary>
    private static readonly string[] SingleValued = ["limit", "next", "sort", "start", "end", "verbose", "merge_policy", "class", "erase"];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A parameter given twice (<c>limit=1&amp;limit=2</c>) is refused as such: bound as "1,2" it was refused as "not a whole number",
    /// and <c>sort=asc&amp;sort=desc</c> as neither asc nor desc.
    /// </summary>
    private static ValueTask<object?> OneValueEachAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var query = context.HttpContext.Request.Query;
        foreach (var name in SingleValued)
        {
            if (query.TryGetValue(name, out var values) && values.Count > 1)
            {
                return ValueTask.FromResult<object?>(Invalid($"{name} is given {values.Count} times; give it once."));
            }
        }
        return next(context);
    }

    private static void MapReads(RouteGroupBuilder group, string suffix)
    {
        group.RequireApiToken(ApiScopes.ProfilesRead).WithTags("Profile API")
            .AddEndpointFilter(OneValueEachAsync)
            .WithParameter("identifier", IdentifierDescription)
            .WithParameter("space", "Segment's space id: any value (this server has one space).")
            .WithParameter("next", NextDescription);
        var segment = suffix.Length > 0 ? "Segment" : "";
        group.MapGet("/traits", TraitsAsync).WithName($"{segment}GetProfileTraits")
            .WithSummary("A profile's traits through a merge policy" + suffix)
            .WithParameter("include", "Trait names to return, comma-separated (a name with a comma in double quotes); all traits when left out.")
            .WithParameter("limit", $"How many traits a page holds: 1 to {MaxTraitLimit}, {DefaultTraitLimit} when left out.", JsonSchemaType.Integer)
            .WithParameter("verbose", "true to give each trait's source and time (and what a computed trait computes) with its value.", JsonSchemaType.Boolean)
            .WithParameter("merge_policy", "A merge policy's id or name; the default policy when left out.")
            .WithParameter("class", $"{ComputedTraitClass} for computed attributes only, {AudienceClass} for segment memberships only; all traits when left out.");
        group.MapGet("/external_ids", ExternalIdsAsync).WithName($"{segment}GetProfileExternalIds")
            .WithSummary("A profile's identifiers" + suffix)
            .WithParameter("include", "Namespaces to return, comma-separated (e.g. email,user_id); all when left out.")
            .WithParameter("limit", $"How many identifiers a page holds: 1 to {MaxIdLimit}, {DefaultIdLimit} when left out.", JsonSchemaType.Integer);
        group.MapGet("/events", EventsAsync).WithName($"{segment}GetProfileEvents")
            .WithSummary("A profile's events, newest first, cursor-paged" + suffix)
            .WithParameter("start", "Events at or after this time (ISO 8601, e.g. 2026-03-01T09:00:00Z; UTC when no offset is given).", JsonSchemaType.String, "date-time")
            .WithParameter("end", "Events before this time (ISO 8601).", JsonSchemaType.String, "date-time")
            .WithParameter("include", "Event names to return, comma-separated (a name with a comma in double quotes: \"Foo, Bar\",Baz); all when left out.")
            .WithParameter("exclude", "Event names to leave out, comma-separated.")
            .WithParameter("limit", $"How many events a page holds: 1 to {EventQuery.MaxLimit}, {EventQuery.DefaultLimit} when left out.", JsonSchemaType.Integer)
            .WithParameter("sort", "desc (newest first, the default) or asc.");
        group.MapGet("/segments", SegmentsAsync).WithName($"{segment}GetProfileSegments")
            .WithSummary("The segments (audiences) a profile is in, since when, by segment id, cursor-paged" + suffix)
            .WithParameter("limit", $"How many segments a page holds: 1 to {MaxSegmentLimit}, {DefaultSegmentLimit} when left out.", JsonSchemaType.Integer);
        group.MapGet("/metadata", MetadataAsync).WithName($"{segment}GetProfileMetadata")
            .WithSummary("When a profile was first seen and last changed (the event times of its earliest and latest messages), and its first and last messages" + suffix);
    }

    /// <summary>The trait class of computed attributes, as Segment names it.</summary>
    public const string ComputedTraitClass = "computed_trait";

    /// <summary>The trait class of segment memberships (Segment's audiences): <c>"recent_buyers_30_days": true</c>.</summary>
    public const string AudienceClass = "audience";

    /// <summary>
    /// <c>?include=a,b&amp;limit=10&amp;verbose=true&amp;merge_policy=&lt;id|name&gt;&amp;next=&lt;key&gt;&amp;class=computed_trait</c>.
    /// Computed attributes are traits too (listed among all traits by default, as Segment does; a computed
    /// attribute wins over a sent trait of the same name); <c>class=computed_trait</c> keeps only them. Segment
    /// memberships are traits too (<c>true</c> under the segment's key, <see cref="SegmentKeys"/>), winning over
    /// both; <c>class=audience</c> keeps only them.
    /// </summary>
    private static async Task<IResult> TraitsAsync(
        string identifier, HttpContext http, ProfileReader reader, ComputedAttributeReader computedReader, ExpressionAttributes expressions, SegmentStore segments,
        string? include = null, string? limit = null, string? verbose = null, string? merge_policy = null, string? next = null,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "class")] string? traitClass = null,
        CancellationToken ct = default)
    {
        var (onlyComputed, onlyAudiences) = (false, false);
        if (traitClass is not null)
        {
            switch (traitClass.Trim())
            {
                case ComputedTraitClass:
                    onlyComputed = true;
                    break;
                case AudienceClass:
                    onlyAudiences = true;
                    break;
                default:
                    return Invalid($"class \"{traitClass}\" is not a trait class here; use class={ComputedTraitClass} for computed attributes, class={AudienceClass} for segment memberships, or leave it out for all traits.");
            }
        }
        if (ParseLimit(limit, DefaultTraitLimit, MaxTraitLimit) is not { } take)
        {
            return BadLimit(MaxTraitLimit);
        }
        string? after = null;
        if (next is not null && !TraitCursor.TryDecode(next, out after))
        {
            return BadCursor(next);
        }
        if (QueryLists.Problem(include, "include") is { } includeProblem)
        {
            return Invalid(includeProblem);
        }
        if (ParseBool(verbose, "verbose") is var (isVerbose, verboseProblem) && verboseProblem is not null)
        {
            return Invalid(verboseProblem);
        }
        if (await reader.PolicyAsync(merge_policy, ct) is not { } policy)
        {
            return Invalid($"There is no merge policy \"{merge_policy}\"; give a policy's id or name, or leave merge_policy out for the default.");
        }
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        var view = await reader.TraitsAsync(found.ProfileId, policy, found.Identity, ct);
        if (view is null)
        {
            return NotFound();
        }
        var traits = onlyComputed || onlyAudiences ? new JsonObject() : view.ToJson();
        var computed = new Dictionary<string, ComputedValue>(StringComparer.Ordinal);
        if (!onlyAudiences)
        {
            var aggregates = await computedReader.ValuesOfProfileAsync(found.ProfileId, ct);
            // Expression attributes are computed values too (evaluated now, from the aggregates and the default policy's traits).
            var formulas = await expressions.ValuesOfProfileAsync(found.ProfileId, aggregates, ct);
            computed = aggregates.Concat(formulas.Select(f => new ComputedValue(f.Definition, f.ValueJson, f.ComputedAt)))
                .ToDictionary(c => c.Name, StringComparer.Ordinal);
            foreach (var (name, value) in computed)
            {
                traits[name] = value.ValueJson is null ? null : JsonNode.Parse(value.ValueJson);
            }
        }
        var audiences = new Dictionary<string, ProfileSegmentMembership>(StringComparer.Ordinal);
        if (!onlyComputed)
        {
            foreach (var membership in await segments.MembershipsOfProfileAsync(found.ProfileId, ct))
            {
                var key = SegmentKeys.Of(membership.Name);
                audiences[key] = membership;
                computed.Remove(key);
                traits[key] = true;
            }
        }
        var wanted = Names(include);
        var keys = traits.Select(t => t.Key)
            .Where(k => wanted.Count == 0 || wanted.Contains(k))
            .Where(k => after is null || string.CompareOrdinal(k, after) > 0)
            .Order(StringComparer.Ordinal).ToList();
        var page = keys.Take(take).ToList();
        var body = new JsonObject();
        foreach (var key in page)
        {
            var value = traits[key]?.DeepClone();
            body[key] = !isVerbose ? value
                : audiences.TryGetValue(key, out var a) ? new JsonObject { ["value"] = value, ["class"] = AudienceClass, ["segment_id"] = a.SegmentId.ToString(CultureInfo.InvariantCulture), ["name"] = a.Name, ["since"] = a.Since }
                : computed.TryGetValue(key, out var c) ? VerboseComputed(c, value) : Verbose(view, key, value!);
        }
        var hasMore = keys.Count > page.Count;
        return TypedResults.Json(new TraitsResponse(body, Cursor(http.Request, hasMore, hasMore ? TraitCursor.Encode(page[^1]) : null)), SnakeCase);
    }

    /// <summary>
    /// A computed value with when it was computed and what it computes; <c>recomputing: true</c> when the value is the
    /// previous version's, served until the changed definition's backfill reaches the profile.
    /// </summary>
    private static JsonObject VerboseComputed(ComputedValue computed, JsonNode? value)
    {
        var verbose = new JsonObject
        {
            ["value"] = value,
            ["class"] = ComputedTraitClass,
            ["computed_at"] = computed.ComputedAt,
            ["definition"] = new JsonObject
            {
                ["function"] = ComputedFunctions.Key(computed.Definition.Function),
                ["events"] = new JsonArray([.. computed.Definition.EventNames.Select(n => (JsonNode?)JsonValue.Create(n))]),
                ["property"] = computed.Definition.PropertyPath,
                ["conditions"] = ComputedConditionText.Json(computed.Definition.Conditions),
                ["window"] = computed.Definition.Window.ToString(),
                ["version"] = computed.Definition.Version,
                ["formula"] = computed.Definition.Formula,
            },
        };
        if (computed.PreviousVersion)
        {
            verbose["recomputing"] = true;
        }
        return verbose;
    }

    /// <summary>The winning value of a top-level trait with the source and time of its newest part.</summary>
    private static JsonObject Verbose(UnifiedView view, string key, JsonNode value)
    {
        var newest = view.Attributes
            .Where(a => a.IsPresent && (a.Key == key || a.Key.StartsWith(key + ".", StringComparison.Ordinal)))
            .Select(a => a.Winner!)
            .MaxBy(w => (w.EventAt, w.MessageId));
        return new JsonObject
        {
            ["value"] = value,
            ["source_id"] = newest?.SourceId.ToString(CultureInfo.InvariantCulture),
            ["source_name"] = newest?.SourceName,
            ["updated_at"] = newest?.EventAt,
        };
    }

    /// <summary><c>?limit=25&amp;next=&lt;id&gt;&amp;include=email,user_id</c> (namespaces)</summary>
    private static async Task<IResult> ExternalIdsAsync(
        string identifier, HttpContext http, ProfileReader reader,
        string? include = null, string? limit = null, string? next = null, CancellationToken ct = default)
    {
        if (ParseLimit(limit, DefaultIdLimit, MaxIdLimit) is not { } take)
        {
            return BadLimit(MaxIdLimit);
        }
        if (QueryLists.Problem(include, "include") is { } includeProblem)
        {
            return Invalid(includeProblem);
        }
        if (!TryParseIdCursor(next, out var after))
        {
            return BadCursor(next!);
        }
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        var namespaces = Names(include);
        var all = (await reader.IdentitiesAsync(found.ProfileId, ct))
            .Where(i => namespaces.Count == 0 || namespaces.Contains(i.Namespace))
            .OrderBy(i => i.Id).Where(i => after is null || i.Id > after).ToList();
        var page = all.Take(take).ToList();
        var hasMore = all.Count > page.Count;
        return TypedResults.Json(new ListResponse<ExternalId>(
            page.Select(i => new ExternalId(i.Value, i.Namespace, i.SourceId.ToString(CultureInfo.InvariantCulture), i.SourceName,
                i.FirstSeenAt, i.LastSeenAt, i.FirstClientMessageId ?? i.FirstMessageId.ToString(CultureInfo.InvariantCulture))).ToList(),
            Cursor(http.Request, hasMore, hasMore ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null)), SnakeCase);
    }

    /// <summary><c>?start=&amp;end=&amp;include=a,b&amp;exclude=c&amp;limit=10&amp;sort=desc|asc&amp;next=&lt;cursor&gt;</c></summary>
    private static async Task<IResult> EventsAsync(
        string identifier, HttpContext http, ProfileReader reader,
        string? start = null, string? end = null, string? include = null, string? exclude = null,
        string? limit = null, string? sort = null, string? next = null, CancellationToken ct = default)
    {
        if (ParseLimit(limit, EventQuery.DefaultLimit, EventQuery.MaxLimit) is not { } take)
        {
            return BadLimit(EventQuery.MaxLimit);
        }
        if (ParseTime(start, "start") is var (from, startProblem) && startProblem is not null)
        {
            return Invalid(startProblem);
        }
        if (ParseTime(end, "end") is var (to, endProblem) && endProblem is not null)
        {
            return Invalid(endProblem);
        }
        if (from is { } startAt && to is { } endAt && endAt < startAt)
        {
            return Invalid($"end ({end}) is before start ({start}); start is the earliest event time asked for, end the latest.");
        }
        if (sort is not (null or "asc" or "desc"))
        {
            return Invalid($"sort must be \"asc\" or \"desc\", not \"{sort}\".");
        }
        if ((QueryLists.Problem(include, "include") ?? QueryLists.Problem(exclude, "exclude")) is { } listProblem)
        {
            return Invalid(listProblem);
        }
        EventCursor? after = null;
        if (next is not null)
        {
            if (!EventCursor.TryDecode(next, out var cursor))
            {
                return BadCursor(next);
            }
            if (cursor.Ascending != (sort == "asc"))
            {
                // A page "after" an event in one order is a different page in the other: refused rather than repeat or skip events.
                var made = cursor.Ascending ? "asc" : "desc";
                return Invalid($"This cursor pages the events with sort={made}, and this request asks for sort={sort ?? "desc"}; "
                    + $"ask for the next page with sort={made} as well (cursor.url does), or leave next out to start again with sort={sort ?? "desc"}.");
            }
            after = cursor;
        }
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        var page = await reader.EventsAsync(found.ProfileId, new EventQuery
        {
            Start = from, End = to, IncludeNames = Names(include), ExcludeNames = Names(exclude),
            Limit = take, Ascending = sort == "asc", After = after,
        }, ct);
        return TypedResults.Json(new ListResponse<EventItem>(
            page.Events.Select(e => new EventItem(e.Id, e.Type, e.Name, e.EventAt, e.SourceId.ToString(CultureInfo.InvariantCulture),
                e.MessageId, StoredJson.Parse(e.PropertiesJson))).ToList(),
            Cursor(http.Request, page.HasMore, page.Next?.Encode())), SnakeCase);
    }

    /// <summary>
    /// <c>?limit=25&amp;next=&lt;segment id&gt;</c>: the segments the profile is in (active segments only), with the key its
    /// audience trait has and since when, in segment id order (a rename does not move a segment between pages).
    /// </summary>
    private static async Task<IResult> SegmentsAsync(
        string identifier, HttpContext http, ProfileReader reader, SegmentStore segments,
        string? limit = null, string? next = null, CancellationToken ct = default)
    {
        if (ParseLimit(limit, DefaultSegmentLimit, MaxSegmentLimit) is not { } take)
        {
            return BadLimit(MaxSegmentLimit);
        }
        if (!TryParseIdCursor(next, out var after))
        {
            return BadCursor(next!);
        }
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        var all = (await segments.MembershipsOfProfileAsync(found.ProfileId, ct))
            .OrderBy(m => m.SegmentId).Where(m => after is null || m.SegmentId > after).ToList();
        var page = all.Take(take).ToList();
        var hasMore = all.Count > page.Count;
        return TypedResults.Json(new ListResponse<SegmentItem>(
            page.Select(m => new SegmentItem(m.SegmentId.ToString(CultureInfo.InvariantCulture), m.Name, SegmentKeys.Of(m.Name), m.Since)).ToList(),
            Cursor(http.Request, hasMore, hasMore ? page[^1].SegmentId.ToString(CultureInfo.InvariantCulture) : null)), SnakeCase);
    }

    private static async Task<IResult> MetadataAsync(string identifier, HttpContext http, ProfileReader reader, CancellationToken ct = default)
    {
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        if (await reader.MetadataAsync(found.ProfileId, ct) is not { } m)
        {
            return NotFound();
        }
        return TypedResults.Json(new MetadataResponse(new Metadata(
            m.ProfileId.ToString(CultureInfo.InvariantCulture), m.CreatedAt, m.UpdatedAt,
            m.FirstMessage?.MessageId, m.FirstMessage?.SourceId.ToString(CultureInfo.InvariantCulture), m.FirstMessage?.SourceName,
            m.LastMessage?.MessageId, m.LastMessage?.SourceId.ToString(CultureInfo.InvariantCulture), m.LastMessage?.SourceName,
            m.Identities, m.Events)), SnakeCase);
    }

    /// <summary>
    /// Deletes the profile and waits (a few seconds) for the unification worker to do it: 200 when done,
    /// 202 with the job when it is still queued. <c>?erase=true</c> also erases the lake messages.
    /// </summary>
    private static async Task<IResult> DeleteAsync(
        string identifier, HttpContext http, ProfileReader reader, ProfileEraser eraser, string? erase = null, CancellationToken ct = default)
    {
        if (ParseBool(erase, "erase") is var (eraseLake, eraseProblem) && eraseProblem is not null)
        {
            return Invalid(eraseProblem);
        }
        var found = await FindAsync(http, identifier, reader, ct);
        if (!found.Found)
        {
            return LookupProblem(found);
        }
        var actor = new AuditActor(null, $"API token \"{http.User.Identity?.Name}\"", http.Connection.RemoteIpAddress?.ToString());
        var result = await eraser.DeleteAsync(actor, found.ProfileId, eraseLake, null, ct);
        var profileId = found.ProfileId.ToString(CultureInfo.InvariantCulture);
        return result.Status switch
        {
            ProfileDeletionStatus.Deleted => TypedResults.Json(new DeleteResponse(true, profileId, "deleted", result.Message, result.JobId), SnakeCase),
            ProfileDeletionStatus.Pending => TypedResults.Json(new DeleteResponse(false, profileId, "pending", result.Message, result.JobId), SnakeCase, statusCode: StatusCodes.Status202Accepted),
            ProfileDeletionStatus.NotFound => NotFound(),
            _ => ApiErrors.Problem(StatusCodes.Status500InternalServerError, "internal_error", $"The profile could not be deleted: {result.Message}"),
        };
    }

    /// <summary>The profile the path's identifier points at (<see cref="RawIdentifier"/>), or why there is none.</summary>
    private static async Task<ProfileLookup> FindAsync(HttpContext http, string identifier, ProfileReader reader, CancellationToken ct) =>
        RawIdentifier(http, identifier) is { } text
            ? await reader.FindAsync(text, ct)
            : ProfileLookup.Invalid("The identifier's percent-encoded bytes are not UTF-8 text, so no identifier can be them; "
                + "percent-encode the UTF-8 bytes of the value (é is %C3%A9; a % itself is %25).");

    /// <summary>
    /// The identifier as the client percent-encoded it (null when its escapes are not UTF-8). Routing leaves <c>%2F</c> encoded in route values
    /// (it cannot tell an encoded slash from a separator, and decodes <c>%25</c>), so a value that holds
    /// "/" or "%" would not match; the segment is taken from the raw request target and decoded once.
    /// </summary>
    internal static string? RawIdentifier(HttpContext http, string routeValue)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var path = http.Request.PathBase.Add(http.Request.Path).Value;
        if (string.IsNullOrEmpty(raw) || path is null || !raw.StartsWith('/'))
        {
            // A server without the raw target (the test host): "%2F" is all routing left encoded.
            return routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var rawSegments = (query >= 0 ? raw[..query] : raw).Split('/');
        var segments = path.Split('/');
        if (rawSegments.Length != segments.Length)
        {
            return routeValue; // the server normalized the path (dot segments): keep what routing matched
        }
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            if (segments[i] == routeValue)
            {
                return PercentDecode(rawSegments[i]);
            }
        }
        return routeValue;
    }

    /// <summary>
    /// Decodes <c>%XX</c> escapes as UTF-8, as <see cref="Uri.UnescapeDataString(string)"/> does (a % not followed by two hex
    /// digits stays as it is); null when the escaped bytes are not UTF-8, which that method left escaped, so "%FF" was
    /// looked up as the three characters "%FF".
    /// </summary>
    internal static string? PercentDecode(string segment)
    {
        if (!segment.Contains('%', StringComparison.Ordinal))
        {
            return segment;
        }
        var bytes = new List<byte>(segment.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '%' && i + 2 < segment.Length
                && byte.TryParse(segment.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var escaped))
            {
                bytes.Add(escaped);
                i += 2;
                continue;
            }
            Rune.DecodeFromUtf16(segment.AsSpan(i), out var rune, out var used);
            bytes.AddRange(utf8[..rune.EncodeToUtf8(utf8)]);
            i += used - 1;
        }
        try
        {
            return StrictUtf8.GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static IResult LookupProblem(ProfileLookup found) => found.Failure == ProfileLookupFailure.NotFound
        ? NotFound()
        : ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.Validation, found.Problem!);

    private static IResult NotFound() => ApiErrors.Problem(StatusCodes.Status404NotFound, ApiErrors.NotFound, "Profile was not found.");

    private static IResult Invalid(string message) => ApiErrors.Problem(StatusCodes.Status400BadRequest, ApiErrors.InvalidRequest, message);

    private static IResult BadLimit(int max) => Invalid($"limit must be a whole number from 1 to {max}.");

    private static IResult BadCursor(string next) =>
        Invalid($"\"{(next.Length > 80 ? next[..80] + "…" : next)}\" is not a cursor of this list; pass the previous answer's cursor.next as it was given, or leave next out to start from the first page.");

    /// <summary>
    /// The traits' cursor: the last trait name of the previous page (names are paged in ordinal order), opaque and
    /// URL-safe (<c>t:name</c> in base64url), so that a cursor that was not given out is told apart from a name.
    /// </summary>
    private static class TraitCursor
    {
        private const string Prefix = "t:";

        public static string Encode(string key) => Base64Url.EncodeToString(StrictUtf8.GetBytes(Prefix + key));

        public static bool TryDecode(string text, out string? key)
        {
            key = null;
            // No longer than the request line it came in (8 KB), which bounds the work on a made-up one.
            if (text.Length is 0 or > 8192 || !Base64Url.IsValid(text))
            {
                return false;
            }
            try
            {
                var decoded = StrictUtf8.GetString(Base64Url.DecodeFromChars(text));
                if (!decoded.StartsWith(Prefix, StringComparison.Ordinal) || decoded.Length == Prefix.Length)
                {
                    return false;
                }
                key = decoded[Prefix.Length..];
                return true;
            }
            catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
            {
                return false;
            }
        }
    }

    /// <summary>The cursor of a list paged by id (the last id of the previous page); true with null when there is none.</summary>
    private static bool TryParseIdCursor(string? next, out long? after)
    {
        after = null;
        if (next is null)
        {
            return true;
        }
        if (!long.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }
        after = parsed;
        return true;
    }

    private static int? ParseLimit(string? text, int fallback, int max) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 && value <= max ? value
        : null;

    private static (bool Value, string? Problem) ParseBool(string? text, string name) => text?.Trim().ToLowerInvariant() switch
    {
        null or "false" or "0" => (false, null),
        "true" or "1" => (true, null),
        _ => (false, $"{name} must be true or false, not \"{text}\"."),
    };

    private static (DateTime? Value, string? Problem) ParseTime(string? text, string name)
    {
        if (text is null)
        {
            return (null, null);
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return (value.UtcDateTime, null);
        }
        switch (MessageShape.ExplainIsoTime(text))
        {
            case (_, var direction, null):
                // 9999-12-31T23:00-05:00 is past the last UTC time there is: as a bound it leaves out no event, as the last time would.
                return (direction > 0 ? DateTime.MaxValue : DateTime.MinValue, null);
            case (_, _, { } reason):
                return (null, $"{name} is \"{text}\", which is no time: {reason}.");
        }
        // A + left unencoded in a query is read as a space: "09:00:00+01:00" arrives as "09:00:00 01:00".
        var space = text.LastIndexOf(' ');
        var plus = space > 0 && DateTimeOffset.TryParse($"{text[..space]}+{text[(space + 1)..]}", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            ? " A + in a query string is read as a space: write it as %2B."
            : "";
        return (null, $"{name} must be an ISO 8601 time, e.g. 2026-03-01T09:00:00Z, not \"{text}\".{plus}");
    }

    private static HashSet<string> Names(string? list) => QueryLists.Names(list);

    /// <summary>Segment's cursor: the URL of the next page (the same query with <c>next</c> set), whether there is one, and its token.</summary>
    private static CursorInfo Cursor(HttpRequest request, bool hasMore, string? next)
    {
        if (!hasMore || next is null)
        {
            return new CursorInfo(null, false, null);
        }
        var query = new QueryBuilder(request.Query.Where(q => q.Key != "next").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v ?? ""))))
        {
            { "next", next },
        };
        // The path as the client encoded it: re-encoding the decoded one would not give back an identifier holding "%2F".
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var path = raw is { Length: > 0 } && raw[0] == '/' ? raw.Split('?')[0] : $"{request.PathBase}{request.Path}";
        return new CursorInfo($"{path}{query}", true, next);
    }

    internal sealed record CursorInfo(string? Url, bool HasMore, string? Next);

    internal sealed record TraitsResponse(JsonObject Traits, CursorInfo Cursor);

    internal sealed record ListResponse<T>(IReadOnlyList<T> Data, CursorInfo Cursor);

    internal sealed record SegmentItem(string Id, string Name, string Key, DateTime Since);

    internal sealed record ExternalId(string Id, string Type, string SourceId, string SourceName, DateTime CreatedAt, DateTime LastSeenAt, string FirstMessageId)
    {
        public string Collection => "users";
        public string Encoding => "none";
    }

    internal sealed record EventItem(long Id, string Type, string Event, DateTime Timestamp, string SourceId, long LakeMessageId, JsonElement Properties);

    internal sealed record Metadata(
        string ProfileId, DateTime CreatedAt, DateTime UpdatedAt,
        string? FirstMessageId, string? FirstSourceId, string? FirstSourceName,
        string? LastMessageId, string? LastSourceId, string? LastSourceName,
        int Identities, long Events);

    internal sealed record MetadataResponse(Metadata Metadata);

    internal sealed record DeleteResponse(bool Deleted, string ProfileId, string Status, string Message, int? JobId);
}
