using System.Text.Json;
using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Components.Data.Sources;

/// <summary>A one-line description of a lake message for lists: who, and what happened.</summary>
public static class MessageSummary
{
    public static string Describe(RawMessage message)
    {
        if (message.Status == MessageStatus.Rejected && message.Error is not null)
        {
            return message.Error;
        }
        try
        {
            using var doc = JsonDocument.Parse(message.Payload);
            var root = doc.RootElement;
            var who = Text(root, "userId") is { } user ? $"user {user}" : Text(root, "anonymousId") is { } anon ? $"anonymous {anon}" : "";
            var what = message.Type switch
            {
                "track" => Text(root, "event"),
                "page" or "screen" => Text(root, "name") ?? Text(root, "properties", "url") ?? Text(root, "properties", "path"),
                "group" => Text(root, "groupId") is { } g ? $"group {g}" : null,
                "alias" => Text(root, "previousId") is { } p ? $"alias of {p}" : null,
                "identify" => root.TryGetProperty("traits", out var t) && t.ValueKind == JsonValueKind.Object
                    ? $"{t.EnumerateObject().Count()} trait(s)"
                    : null,
                _ => null,
            };
            return string.Join(" · ", new[] { who, what }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (JsonException)
        {
            return "(not JSON)";
        }
    }

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
