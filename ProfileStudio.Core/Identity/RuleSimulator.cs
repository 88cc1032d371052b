using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Identity;

/// <summary>One identity decision about one simulated message, as Identity › Insights would record it.</summary>
public sealed record SimulatedInsight(
    int MessageNumber,
    string Kind,
    string Detail,
    long? ProfileId,
    long? OtherProfileId,
    string? Namespace,
    string? Value);

/// <summary>
/// One input message and what became of it: refused by the tracking parser (<see cref="Error"/>), or
/// resolved to a profile (<see cref="ProfileId"/> when it was processed, <see cref="FinalProfileId"/>
/// after later messages merged profiles) with the identifiers found in it and the decisions taken.
/// </summary>
public sealed record SimulatedMessage(
    int Number,
    string Type,
    string Source,
    string Payload,
    string? Error,
    IReadOnlyList<ExtractedIdentity> Identities,
    long? ProfileId,
    long? FinalProfileId,
    bool CreatedProfile,
    IReadOnlyList<SimulatedInsight> Insights)
{
    public bool IsValid => Error is null;
}

/// <summary>A profile the messages would produce: its identity graph, attribute fragments per source, events and messages.</summary>
public sealed record SimulatedProfile(
    ProfileGraph Graph,
    IReadOnlyList<ProfileAttribute> Attributes,
    IReadOnlyList<ProfileEvent> Events,
    IReadOnlyList<int> MessageNumbers)
{
    public long Id => Graph.Profile.Id;
}

/// <summary>What a simulation produced, or the <see cref="Problem"/> that kept the input from being read at all.</summary>
public sealed record SimulationResult(
    IReadOnlyList<SimulatedMessage> Messages,
    IReadOnlyList<SimulatedProfile> Profiles,
    IReadOnlyList<SimulatedInsight> Insights,
    IReadOnlyDictionary<int, string> SourceNames,
    string? Problem)
{
    public static SimulationResult Fail(string problem) => new([], [], [], new Dictionary<int, string>(), problem);

    public int InvalidMessages => Messages.Count(m => !m.IsValid);
}

/// <summary>
/// Shows what messages would do to profiles under a set of identity rules, without storing anything:
/// the messages go through the real <see cref="TrackingMessageParser"/> (so a message the Tracking API
/// would refuse is reported with the same reason), then one by one, in order, through a fresh
/// <see cref="IdentityGraph"/> and the <see cref="UnificationEngine"/> the worker uses. Pure: no
/// storage, no clock (the caller passes the receive time).
/// </summary>
public static class RuleSimulator
{
    /// <summary>A handful of messages tells the story; this keeps a pasted export from flooding the page.</summary>
    public const int MaxMessages = 500;

    /// <summary>The longest input read (about 500 messages of 1 KB): longer pastes are refused with this number, not cut.</summary>
    public const int MaxInputCharacters = 500_000;

    /// <summary>The largest global cap a simulation accepts.</summary>
    public const int MaxIdentitiesCap = 1000;

    /// <summary>The source of a message that does not name one with a top-level <c>"source"</c>.</summary>
    public const string DefaultSource = "Simulated source";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Simulates <paramref name="input"/>: a JSON array of messages, one message per line (NDJSON),
    /// a Segment batch <c>{"batch": [...]}</c> or a single message. A top-level <c>"source"</c> on a
    /// message (or on the batch) names the source it comes from, so fragments from several sources can be tried.
    /// </summary>
    public static SimulationResult Simulate(string input, IdentityRules rules, DateTime receivedAt)
    {
        var (messages, problem) = Read(input, receivedAt);
        return problem is not null ? SimulationResult.Fail(problem) : Run(messages, rules, receivedAt);
    }

    /// <summary>
    /// Rules from edited namespaces and a global cap, checked as Identity › Namespaces checks them;
    /// null with the problems (each prefixed by its namespace) when they cannot be used.
    /// </summary>
    public static (IdentityRules? Rules, IReadOnlyList<string> Problems) BuildRules(IEnumerable<IdentityNamespace> namespaces, int maxIdentitiesPerProfile)
    {
        var list = namespaces.ToList();
        var problems = list.SelectMany(n => IdentityRulesStore.Validate(n).Select(p => $"{n.Name}: {p}")).ToList();
        if (maxIdentitiesPerProfile is < 1 or > MaxIdentitiesCap)
        {
            problems.Add($"The global cap is between 1 and {MaxIdentitiesCap:N0} identities per profile.");
        }
        if (problems.Count > 0)
        {
            return (null, problems);
        }
        static List<string> Clean(IEnumerable<string> values) => values.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList();
        var rules = list.Select(n => new IdentityNamespaceRule(
            n.Name, n.Normalization, n.Priority, n.Limit, Clean(n.BlockedValues), Clean(n.BlockedPatterns),
            n.DefaultCountry, n.IsDevice, n.TraitKeys));
        return (new IdentityRules(rules, maxIdentitiesPerProfile), []);
    }

    private sealed record InputMessage(string Source, IncomingMessage Message);

    private static (List<InputMessage> Messages, string? Problem) Read(string input, DateTime receivedAt)
    {
        var text = input.Trim();
        if (text.Length == 0)
        {
            return ([], "There are no messages to simulate. Paste some, or pick an example.");
        }
        if (text.Length > MaxInputCharacters)
        {
            return ([], $"The simulator reads at most {MaxInputCharacters:N0} characters at a time; this input has {text.Length:N0}. Simulate fewer messages, or shorter ones.");
        }
        JsonNode? root = null;
        JsonException? invalid = null;
        try
        {
            root = JsonNode.Parse(text, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            invalid = ex;
        }
        switch (root)
        {
            case JsonArray array:
                return ReadBatch(new JsonObject { ["batch"] = array }, receivedAt);
            case JsonObject request when request.ContainsKey("batch"):
                return ReadBatch(request, receivedAt);
            case JsonObject single:
                return ReadBatch(new JsonObject { ["batch"] = new JsonArray(single) }, receivedAt);
            case not null:
            case null when invalid is null: // the text was the JSON literal null
                return ([], "Messages are JSON objects: paste an array of them, one per line, or a batch {\"batch\": [...]}.");
        }
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count > 1 && TryParse(lines[0], out _) is null)
        {
            return ReadLines(lines, receivedAt);
        }
        return ([], $"The messages are not valid JSON: {Ingestion.TrackingMessageParser.JsonProblem(invalid!)}");
    }

    /// <summary>NDJSON: a line that is not JSON is reported on its own; the others are read as one batch.</summary>
    private static (List<InputMessage>, string?) ReadLines(List<string> lines, DateTime receivedAt)
    {
        if (lines.Count > MaxMessages)
        {
            return ([], TooMany(lines.Count));
        }
        var batch = new JsonArray();
        var slots = new List<(string Line, string? Error)>();
        foreach (var line in lines)
        {
            var error = TryParse(line, out var node);
            slots.Add((line, error));
            if (error is null)
            {
                batch.Add(node);
            }
        }
        var (parsed, problem) = ReadBatch(new JsonObject { ["batch"] = batch }, receivedAt);
        if (problem is not null)
        {
            return ([], problem);
        }
        var next = 0;
        var messages = slots.Select(slot => slot.Error is null
            ? parsed[next++]
            : new InputMessage(DefaultSource, new IncomingMessage("unknown", null, receivedAt, slot.Line, slot.Error))).ToList();
        return (messages, null);
    }

    private static string? TryParse(string line, out JsonNode? node)
    {
        node = null;
        try
        {
            node = JsonNode.Parse(line, documentOptions: DocumentOptions);
            return null;
        }
        catch (JsonException ex)
        {
            return $"This line is not valid JSON: {Ingestion.TrackingMessageParser.JsonProblem(ex)}";
        }
    }

    /// <summary>Reads a batch request exactly as <c>POST /v1/batch</c> does; the sources are read first, as the parser keeps only the message.</summary>
    private static (List<InputMessage>, string?) ReadBatch(JsonObject request, DateTime receivedAt)
    {
        if (request["batch"] is JsonArray items)
        {
            if (items.Count == 0)
            {
                return ([], "The batch is empty: add at least one message.");
            }
            if (items.Count > MaxMessages)
            {
                return ([], TooMany(items.Count));
            }
        }
        var batchSource = SourceOf(request) ?? DefaultSource;
        var sources = (request["batch"] as JsonArray ?? []).Select(item => (item is JsonObject o ? SourceOf(o) : null) ?? batchSource).ToList();
        var parsed = TrackingMessageParser.Parse(Encoding.UTF8.GetBytes(request.ToJsonString()), "batch", receivedAt);
        if (parsed.Request is not { } result)
        {
            return ([], parsed.Error);
        }
        return (result.Messages.Select((m, i) => new InputMessage(sources[i], m)).ToList(), null);
    }

    private static string? SourceOf(JsonObject node) =>
        node["source"] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;

    private static string TooMany(int count) =>
        $"The simulator takes at most {MaxMessages:N0} messages at a time; this input has {count:N0}.";

    private static SimulationResult Run(List<InputMessage> input, IdentityRules rules, DateTime receivedAt)
    {
        var sourceIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var graph = new IdentityGraph(rules);
        var engine = new UnificationEngine(graph);
        var identities = new Dictionary<IdentityKey, IdentityRecord>();
        var links = new Dictionary<(IdentityKey, IdentityKey), IdentityLink>();
        var attributes = new List<ProfileAttribute>();
        var events = new List<ProfileEvent>();
        var profiles = new Dictionary<long, Profile>();
        var messages = new List<SimulatedMessage>();

        for (var i = 0; i < input.Count; i++)
        {
            var (source, incoming) = input[i];
            var number = i + 1;
            if (!sourceIds.TryGetValue(source, out var sourceId))
            {
                sourceId = sourceIds[source] = sourceIds.Count + 1;
            }
            if (!incoming.IsValid)
            {
                messages.Add(new SimulatedMessage(number, incoming.Type, source, incoming.Payload, incoming.Error, [], null, null, false, []));
                continue;
            }
            var raw = new RawMessage
            {
                Id = number, SourceId = sourceId, MessageId = incoming.MessageId, Type = incoming.Type,
                ReceivedAt = receivedAt, EventAt = incoming.EventAt, Payload = incoming.Payload, Status = incoming.Status,
            };
            // One message per run, as the worker may run it: its own changes tell which profile it went to.
            var changes = engine.Process([raw]);
            foreach (var created in changes.CreatedProfiles)
            {
                profiles[created.Id] = created;
            }
            foreach (var (key, record) in changes.Identities)
            {
                if (identities.TryGetValue(key, out var known))
                {
                    known.LastMessageId = record.LastMessageId;
                    known.LastSeenAt = Max(known.LastSeenAt, record.LastSeenAt);
                }
                else
                {
                    record.Id = identities.Count + 1;
                    identities[key] = record;
                }
            }
            foreach (var (edge, link) in changes.Links)
            {
                if (links.TryGetValue(edge, out var known))
                {
                    known.LastSeenAt = Max(known.LastSeenAt, link.LastSeenAt);
                }
                else
                {
                    link.Id = links.Count + 1;
                    link.FromIdentityId = identities[edge.From].Id;
                    link.ToIdentityId = identities[edge.To].Id;
                    links[edge] = link;
                }
            }
            attributes.AddRange(changes.Attributes.Values);
            foreach (var e in changes.Events)
            {
                e.Id = events.Count + 1;
                events.Add(e);
            }
            long? profileId = null;
            foreach (var (touched, last) in changes.Touched)
            {
                profileId = touched;
                var profile = profiles[touched];
                profile.UpdatedAt = Max(profile.UpdatedAt, last.LastAt);
                profile.LastMessageId = number;
            }
            var insights = changes.Insights.Select(x => new SimulatedInsight(number, x.Kind, x.Detail, x.ProfileId, x.OtherProfileId, x.Namespace, x.Value)).ToList();
            var found = IdentityExtractor.Extract((JsonObject)JsonNode.Parse(incoming.Payload)!, rules);
            messages.Add(new SimulatedMessage(number, incoming.Type, source, incoming.Payload, null, found,
                profileId, null, changes.CreatedProfiles.Count > 0, insights));
        }

        messages = messages.Select(m => m with { FinalProfileId = m.ProfileId is { } p ? graph.Canonical(p) : null }).ToList();
        var sourceNames = sourceIds.ToDictionary(s => s.Value, s => s.Key);
        var results = graph.Profiles.Order().Select(id =>
        {
            var members = identities.Where(x => graph.ProfileOf(x.Key) == id).Select(x => x.Value)
                .OrderBy(r => rules.Find(r.Namespace)?.Priority ?? int.MaxValue).ThenBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Value, StringComparer.Ordinal)
                .ToList();
            members.ForEach(r => r.ProfileId = id);
            var memberIds = members.Select(r => r.Id).ToHashSet();
            var profileLinks = links.Values.Where(l => memberIds.Contains(l.FromIdentityId) && memberIds.Contains(l.ToIdentityId)).ToList();
            var graphOf = new ProfileGraph(profiles[id], members, profileLinks, sourceNames);
            return new SimulatedProfile(graphOf, LatestAttributes(attributes, graph, id), EventsOf(events, graph, id),
                messages.Where(m => m.FinalProfileId == id).Select(m => m.Number).ToList());
        }).ToList();
        return new SimulationResult(messages, results, messages.SelectMany(m => m.Insights).ToList(), sourceNames, null);
    }

    /// <summary>The newest value per (source, key) among the fragments of the profile and the profiles merged into it, as the worker keeps them.</summary>
    private static List<ProfileAttribute> LatestAttributes(List<ProfileAttribute> attributes, IdentityGraph graph, long profileId)
    {
        var latest = new Dictionary<(int, string), ProfileAttribute>();
        foreach (var attribute in attributes.Where(a => graph.Canonical(a.ProfileId) == profileId))
        {
            var slot = (attribute.SourceId, attribute.Key);
            if (!latest.TryGetValue(slot, out var current) || attribute.Supersedes(current))
            {
                latest[slot] = attribute;
            }
        }
        return latest.Values
            .Select(a => new ProfileAttribute { ProfileId = profileId, SourceId = a.SourceId, Key = a.Key, ValueJson = a.ValueJson, EventAt = a.EventAt, MessageId = a.MessageId })
            .OrderBy(a => a.SourceId).ThenBy(a => a.Key, StringComparer.Ordinal).ToList();
    }

    private static List<ProfileEvent> EventsOf(List<ProfileEvent> events, IdentityGraph graph, long profileId) =>
        events.Where(e => graph.Canonical(e.ProfileId) == profileId)
            .Select(e => new ProfileEvent { Id = e.Id, ProfileId = profileId, MessageId = e.MessageId, SourceId = e.SourceId, Type = e.Type, Name = e.Name, EventAt = e.EventAt, PropertiesJson = e.PropertiesJson })
            .OrderBy(e => e.EventAt).ThenBy(e => e.MessageId).ToList();

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
