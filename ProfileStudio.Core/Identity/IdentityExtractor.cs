using System.Text.Json.Nodes;

namespace ProfileStudio.Core.Identity;

/// <summary>A namespace and a normalized value: one identifier of one person.</summary>
public readonly record struct IdentityKey(string Namespace, string Value)
{
    public override string ToString() => $"{Namespace}:{Value}";

    /// <summary>Reads <c>namespace:value</c> as written by <see cref="ToString"/> (the value may contain colons).</summary>
    public static IdentityKey? Parse(string? text) =>
        text?.IndexOf(':') is > 0 and var colon ? new IdentityKey(text[..colon], text[(colon + 1)..]) : null;
}

/// <summary>An identifier found in a message, usable or dropped with the reason (blocked, not a phone number, …).</summary>
public sealed record ExtractedIdentity(string Namespace, string Raw, IdentityKey? Key, string? DroppedBecause);

/// <summary>
/// Finds the identifiers in a tracking message: <c>userId</c>, <c>anonymousId</c> (and an alias's
/// <c>previousId</c>), the namespaces' trait keys in <c>traits</c> (not a group call's, which are the
/// group's) and <c>context.traits</c> (and <c>properties</c> for events), and <c>context.externalIds[]</c> by type. Values are normalized and
/// blocked values dropped, each drop with its reason.
/// </summary>
public static class IdentityExtractor
{
    public static IReadOnlyList<ExtractedIdentity> Extract(JsonObject message, IdentityRules rules)
    {
        var found = new List<(string Namespace, string Raw)>();
        void Add(string ns, JsonNode? node)
        {
            if (node is JsonValue value && value.TryGetValue(out string? text))
            {
                found.Add((ns, text));
            }
            else if (node is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number)
            {
                found.Add((ns, number.ToJsonString()));
            }
        }

        Add("user_id", message["userId"]);
        Add("anonymous_id", message["anonymousId"]);
        var type = Text(message["type"]);
        if (type == "alias")
        {
            Add("anonymous_id", message["previousId"]);
        }
        // A group call's traits describe the group (a company's billing e-mail, its phone), not the
        // person: taking them as the person's identifiers would merge everyone in the group.
        var personTraits = type == "group" ? null : message["traits"] as JsonObject;
        var contextTraits = Field(message["context"], "traits") as JsonObject;
        var properties = message["properties"] as JsonObject;
        foreach (var rule in rules.Namespaces)
        {
            foreach (var key in rule.Keys)
            {
                Add(rule.Name, personTraits?[key]);
                Add(rule.Name, contextTraits?[key]);
                Add(rule.Name, properties?[key]);
            }
        }
        // Whatever shape a stored message has, only the shapes read here count: anything else is not an identifier.
        if (Field(message["context"], "externalIds") is JsonArray externalIds)
        {
            foreach (var entry in externalIds.OfType<JsonObject>())
            {
                if (Text(entry["type"]) is { } externalType)
                {
                    Add(externalType, entry["id"]);
                }
            }
        }

        var result = new List<ExtractedIdentity>();
        var seen = new HashSet<IdentityKey>();
        foreach (var (ns, raw) in found)
        {
            if (rules.Find(ns) is not { } rule)
            {
                result.Add(new ExtractedIdentity(ns, raw, null, $"no identity namespace \"{ns}\" is defined"));
                continue;
            }
            // Whatever the namespace (one added in the studio after the message arrived, too): an identifier that could never be looked up is not one.
            if (Ingestion.MessageShape.IdentifierProblem(ns, raw) is { } unusable)
            {
                result.Add(new ExtractedIdentity(ns, raw.Length > 64 ? raw[..64] + "…" : raw, null, unusable));
                continue;
            }
            var (normalized, problem) = IdentityNormalizer.Normalize(rule, raw);
            if (normalized is null)
            {
                result.Add(new ExtractedIdentity(ns, raw, null, problem));
                continue;
            }
            if (normalized.Length == 0)
            {
                result.Add(new ExtractedIdentity(ns, raw, null, "the value is empty"));
                continue;
            }
            if (rules.BlockReason(ns, normalized) is { } blocked)
            {
                result.Add(new ExtractedIdentity(ns, raw, null, blocked));
                continue;
            }
            var key = new IdentityKey(ns, normalized);
            if (seen.Add(key))
            {
                result.Add(new ExtractedIdentity(ns, raw, key, null));
            }
        }
        return result;
    }

    /// <summary>A member of a JSON object; null when the node is not an object (a stored message may hold any shape).</summary>
    internal static JsonNode? Field(JsonNode? node, string name) => node is JsonObject o ? o[name] : null;

    /// <summary>A JSON string's text; null for any other kind of value.</summary>
    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? text) ? text : null;
}
