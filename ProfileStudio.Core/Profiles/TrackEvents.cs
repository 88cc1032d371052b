namespace ProfileStudio.Core.Profiles;

/// <summary>
/// Which timeline events count as performed by name, for computed attributes and segment event conditions alike: track events.
/// Page and screen views are on the timeline under their page's name ("Order Completed" for a thank-you page viewed as
/// page('Order Completed')), group calls under the group's id; counting them by that name counted every such order twice in a
/// lifetime value, and put a visitor of the thank-you page among "performed Order Completed".
/// </summary>
public static class TrackEvents
{
    public const string Type = "track";

    /// <summary>The same test in SQL over a ProfileEvents row.</summary>
    public const string Sql = "Type = '" + Type + "'";

    /// <summary><see cref="Sql"/> over the ProfileEvents row of <paramref name="alias"/>.</summary>
    public static string SqlOf(string alias) => $"{alias}.{Sql}";

    public static bool Is(string? type) => string.Equals(type, Type, StringComparison.Ordinal);
}
