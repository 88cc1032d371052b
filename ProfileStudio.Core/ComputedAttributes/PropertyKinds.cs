using System.Text.Json;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>The JSON kinds a property was seen with in events (several at once when sources disagree).</summary>
[Flags]
public enum PropertyKinds
{
    None = 0,
    Text = 1,
    Number = 2,
    Boolean = 4,
    Object = 8,
    List = 16,
}

public static class PropertyKindsExtensions
{
    public static PropertyKinds Of(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => PropertyKinds.Text,
        JsonValueKind.Number => PropertyKinds.Number,
        JsonValueKind.True or JsonValueKind.False => PropertyKinds.Boolean,
        JsonValueKind.Object => PropertyKinds.Object,
        JsonValueKind.Array => PropertyKinds.List,
        _ => PropertyKinds.None,
    };

    /// <summary>"text or number", for messages.</summary>
    public static string Words(this PropertyKinds kinds) => string.Join(" or ",
        Enum.GetValues<PropertyKinds>().Where(k => k != PropertyKinds.None && kinds.HasFlag(k)).Select(k => k.ToString().ToLowerInvariant()));
}
