using System.Text.RegularExpressions;

namespace ProfileStudio.Core.Profiles;

/// <summary>
/// The one rule for a path to data that arrived in tracking calls: an event property a computed attribute aggregates or
/// filters on, an attribute or property a segment condition reads. Keys there are kept as clients sent them, so the rule
/// is looser than <see cref="Ingestion.AttributeKeys"/> (which names keys made here): dotted names of letters, digits,
/// <c>_ - $ @</c>, with spaces inside a name ("Order ID", "$revenue"). The pickers offer only the paths it accepts.
/// </summary>
public static partial class PropertyPaths
{
    public const int MaxLength = 200;

    [GeneratedRegex(@"^[\p{L}\p{N}_\-$@]([\p{L}\p{N}_\-$@ ]*[\p{L}\p{N}_\-$@])?(\.[\p{L}\p{N}_\-$@]([\p{L}\p{N}_\-$@ ]*[\p{L}\p{N}_\-$@])?)*$")]
    private static partial Regex Pattern();

    /// <summary>Why <paramref name="path"/> cannot be read, in words a user can act on ("the property path …"); null when it can.</summary>
    public static string? Problem(string? path, string what = "property")
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"Choose the {what} path.";
        }
        if (path.Length > MaxLength)
        {
            return $"The {what} path is longer than {MaxLength} characters.";
        }
        return Pattern().IsMatch(path) ? null : $"The {what} path \"{path}\" is not a dotted list of names (letters, digits, _ - $ @).";
    }

    /// <summary>Whether a path seen in the data can be chosen (what the pickers offer).</summary>
    public static bool CanChoose(string path) => Problem(path) is null;
}
