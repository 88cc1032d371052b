namespace ProfileStudio.Components.Shared;

/// <summary>
/// Text from data (event values, identifiers) for a Plotly label or hover text. Plotly reads a subset of HTML in them
/// (<c>&lt;a href&gt;</c> becomes a live link, <c>&lt;b&gt;</c> bold), and tracking data is written by anyone holding a
/// browser's public write key, so the markup characters are given as entities: the text shows as sent.
/// </summary>
public static class ChartText
{
    public static string Plain(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
