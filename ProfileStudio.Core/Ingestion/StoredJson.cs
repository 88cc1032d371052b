using System.Text.Json;

namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// How stored JSON (lake payloads, event properties, attribute values) is written and read back: far
/// deeper than ingestion lets a message nest (<see cref="MessageShape.MaxDepth"/>), so whatever an
/// earlier limit let in is still readable, and a too-deep message can still be kept as rejected.
/// </summary>
public static class StoredJson
{
    public const int MaxDepth = 1024;

    public static JsonSerializerOptions Options { get; } = new() { MaxDepth = MaxDepth };

    public static JsonDocumentOptions DocumentOptions { get; } = new() { MaxDepth = MaxDepth };

    /// <summary>A stored JSON text as an element that outlives its document.</summary>
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        return document.RootElement.Clone();
    }
}
