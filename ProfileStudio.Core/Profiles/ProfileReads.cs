using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Core.Profiles;

/// <summary>Why an identifier found no profile.</summary>
public enum ProfileLookupFailure
{
    /// <summary>Not <c>namespace:value</c>, an unknown namespace, or a value the namespace cannot hold (e.g. not a phone number).</summary>
    InvalidIdentifier = 1,

    /// <summary>Well formed, but no profile has it (or the profile id does not exist).</summary>
    NotFound = 2,
}

/// <summary>
/// The answer of <see cref="ProfileReader.FindAsync"/>: the live profile an identifier points at (merges
/// followed) and the identity looked up (null for <c>profile_id:N</c>), or why there is none.
/// </summary>
public sealed record ProfileLookup(long ProfileId, IdentityKey? Identity, ProfileLookupFailure? Failure, string? Problem)
{
    public bool Found => Failure is null;

    public static ProfileLookup Of(long profileId, IdentityKey? identity) => new(profileId, identity, null, null);

    public static ProfileLookup Invalid(string problem) => new(0, null, ProfileLookupFailure.InvalidIdentifier, problem);

    public static ProfileLookup NotFound { get; } = new(0, null, ProfileLookupFailure.NotFound, "Profile was not found.");
}

/// <summary>One identifier of a profile, with where and when it was first seen.</summary>
public sealed record ProfileIdentity(
    long Id,
    string Namespace,
    string Value,
    int SourceId,
    string SourceName,
    DateTime FirstSeenAt,
    DateTime LastSeenAt,
    long FirstMessageId,
    string? FirstClientMessageId)
{
    public IdentityKey Key => new(Namespace, Value);
}

/// <summary>
/// A profile's bookkeeping: when it was first seen, last changed (<see cref="Profile.UpdatedAt"/>) and last active
/// (null while it has no timeline event), and by which messages from which sources.
/// </summary>
public sealed record ProfileMetadata(
    long ProfileId,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? LastActivityAt,
    ProfileMessageRef? FirstMessage,
    ProfileMessageRef? LastMessage,
    int Identities,
    long Events);

/// <summary>A lake message as a profile refers to it: lake id, the client's messageId, and its source.</summary>
public sealed record ProfileMessageRef(long Id, string? MessageId, int SourceId, string SourceName, DateTime ReceivedAt);

/// <summary>Events on one day (UTC), for the activity chart.</summary>
public sealed record ActivityDay(DateOnly Day, int Events);

/// <summary>
/// A position in a timeline: the last event of a page, in (event time, id) order, and the direction the pages go
/// (<see cref="Ascending"/>: oldest first). The position means "after this event" only in its own direction, so a
/// cursor is used with the sort it was made under.
/// </summary>
public readonly record struct EventCursor(DateTime EventAt, long Id, bool Ascending = false)
{
    /// <summary>Opaque and URL-safe: <c>ticks.id.a</c> (ascending) or <c>ticks.id.d</c> (descending) in base64url.</summary>
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{EventAt.Ticks}.{Id}.{(Ascending ? 'a' : 'd')}")));

    public static bool TryDecode(string? text, out EventCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            if (parts.Length == 3
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTime.MaxValue.Ticks
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && parts[2] is "a" or "d")
            {
                cursor = new EventCursor(new DateTime(ticks, DateTimeKind.Utc), id, parts[2] == "a");
                return true;
            }
        }
        catch (FormatException)
        {
        }
        return false;
    }
}

/// <summary>
/// Which events of a timeline to read. <see cref="Start"/> is inclusive, <see cref="End"/> exclusive;
/// empty name and type lists mean all. Newest first unless <see cref="Ascending"/>.
/// </summary>
public sealed record EventQuery
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 200;

    public DateTime? Start { get; init; }
    public DateTime? End { get; init; }
    public IReadOnlyCollection<string> IncludeNames { get; init; } = [];
    public IReadOnlyCollection<string> ExcludeNames { get; init; } = [];
    public IReadOnlyCollection<string> Types { get; init; } = [];
    public int Limit { get; init; } = DefaultLimit;
    public bool Ascending { get; init; }

    /// <summary>The last event of the previous page, read in the same order (<see cref="Ascending"/>); the page starts after it.</summary>
    public EventCursor? After { get; init; }
}

/// <summary>One page of a timeline and the cursor of the next, null on the last page.</summary>
public sealed record EventPage(IReadOnlyList<ProfileEvent> Events, EventCursor? Next)
{
    public bool HasMore => Next is not null;
}
