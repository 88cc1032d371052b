using System.Collections.Concurrent;

namespace ProfileStudio.Components.Data.Sources;

/// <summary>
/// A write key just created or rotated in this circuit, so the setup snippets can show it filled in
/// until the user leaves. Scoped to the circuit, never stored.
/// </summary>
public sealed class RevealedWriteKeys
{
    private readonly ConcurrentDictionary<int, string> _keys = new();

    public void Remember(int sourceId, string key) => _keys[sourceId] = key;

    public string? Get(int sourceId) => _keys.GetValueOrDefault(sourceId);
}
