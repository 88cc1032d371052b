using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProfileStudio.Core.Segments;

/// <summary>
/// The stored form of a rule: <c>{"format":1,"root":{…}}</c>, camelCase, enums as camelCase names, each
/// node tagged with <c>"type"</c> (<c>group</c>, <c>attribute</c>, <c>event</c>, <c>identity</c>, <c>segment</c>).
/// Writing is stable (same rule, same text: properties in declaration order, nulls left out), so stored
/// versions can be compared as text. Reading is strict: an unknown format, node type, enum name or
/// property, a missing required field, or a number a double cannot hold (1e-400, 1e400) is refused with
/// the reason, never guessed.
/// </summary>
public static class SegmentRuleJson
{
    /// <summary>The format this code writes; a later format that changes meaning gets a new number and a reader for the old one.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Stored rules are small; a larger text is refused before it is parsed.</summary>
    public const int MaxLength = 256 * 1024;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowOutOfOrderMetadataProperties = true,
        // Deeper than the validator allows (SegmentRuleValidator.MaxDepth), so a too-deep rule gets its clear message.
        MaxDepth = 256,
    };

    private sealed record Envelope(int Format, SegmentNode Root);

    public static string Serialize(SegmentRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return JsonSerializer.Serialize(new Envelope(CurrentFormat, rule.Root), Options);
    }

    /// <summary>Reads a stored or submitted rule; <paramref name="error"/> says what is wrong when it returns false.</summary>
    public static bool TryParse(string json, out SegmentRule? rule, out string? error)
    {
        rule = null;
        error = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            error = "The rule is empty.";
            return false;
        }
        if (json.Length > MaxLength)
        {
            error = $"The rule is longer than {MaxLength:N0} characters.";
            return false;
        }
        try
        {
            using (var document = JsonDocument.Parse(json))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("format", out var format)
                    || format.ValueKind != JsonValueKind.Number)
                {
                    error = "The rule has no \"format\" number.";
                    return false;
                }
                if (!format.TryGetInt32(out var version) || version != CurrentFormat)
                {
                    error = $"Rule format {format.GetRawText()} is not known (this version reads format {CurrentFormat}).";
                    return false;
                }
                if (UnheldNumber(document.RootElement, null) is { } unheld)
                {
                    error = unheld;
                    return false;
                }
            }
            var envelope = JsonSerializer.Deserialize<Envelope>(json, Options);
            if (envelope?.Root is null)
            {
                error = "The rule has no root node.";
                return false;
            }
            rule = new SegmentRule(envelope.Root);
            return true;
        }
        catch (JsonException e)
        {
            error = "The rule is not valid: " + e.Message;
            return false;
        }
        catch (NotSupportedException e)
        {
            // System.Text.Json reports an unknown "type" discriminator on an abstract base this way.
            error = "The rule is not valid: " + e.Message;
            return false;
        }
    }

    // A double reads 1e-400 as 0 and 1e400 as infinity: the rule would compare with a number nobody wrote. Refused with the
    // number as written, in the words the builder's number box uses (NumberBounds.ReadDouble), at the nearest node's id.
    private static string? UnheldNumber(JsonElement element, string? nodeId)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (UnheldNumber(item, nodeId) is { } problem)
                {
                    return problem;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                nodeId = id.GetString();
            }
            foreach (var property in element.EnumerateObject())
            {
                if (property is { Name: "number" or "numberTo", Value.ValueKind: JsonValueKind.Number }
                    && Formatting.NumberBounds.ReadDouble(property.Value.GetRawText()).Problem is { } problem)
                {
                    return nodeId is null ? problem : $"Node \"{nodeId}\": {problem}";
                }
                if (UnheldNumber(property.Value, nodeId) is { } inner)
                {
                    return inner;
                }
            }
        }
        return null;
    }

    public static SegmentRule Parse(string json) =>
        TryParse(json, out var rule, out var error) ? rule! : throw new FormatException(error);
}
