using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Unification.Stages;

/// <summary>The identity stage's changes: profiles created and merged, identifiers and their links, decisions, and each message's profile.</summary>
public sealed class IdentityChanges : IStageChanges, IRunScopedChanges
{
    public List<Profile> CreatedProfiles { get; } = [];

    /// <summary>Merges in the order they happened: the first profile's data moves into the second.</summary>
    public List<(long From, long Into)> Merges { get; } = [];

    /// <summary>The final state of every identifier the run touched.</summary>
    public Dictionary<IdentityKey, IdentityRecord> Identities { get; } = [];

    public Dictionary<(IdentityKey From, IdentityKey To), IdentityLink> Links { get; } = [];

    /// <summary>Profiles a device moved away from (to the person who signed in on it last): they lost an identifier.</summary>
    public HashSet<long> LostIdentities { get; } = [];

    /// <summary>Per profile the run touched: what its messages tell about when the profile was seen, changed and active.</summary>
    public Dictionary<long, ProfileTouch> Touched { get; } = [];

    public List<IdentityInsight> Insights { get; } = [];

    /// <summary>
    /// Each message resolved to a profile (the profile it resolved to then; see <see cref="IdentityGraph.Canonical"/> for the survivor),
    /// for the later stages of the run (emptied once they ran: see <see cref="IRunScopedChanges"/>).
    /// </summary>
    public List<(MessageRead Read, long ProfileId)> Resolved { get; private set; } = [];

    public void ReleaseRunData() => Resolved = [];

    public void Describe(ProfileChangeMarks marks)
    {
        foreach (var (from, into) in Merges)
        {
            marks.Add(into, ProfileChangeKinds.Merged, from);
        }
        foreach (var identity in Identities.Values)
        {
            marks.Mark(identity.ProfileId, ProfileChangeKinds.Identities);
        }
        foreach (var profile in LostIdentities)
        {
            marks.Mark(profile, ProfileChangeKinds.Identities);
        }
        foreach (var profile in Touched.Keys)
        {
            marks.Mark(profile, ProfileChangeKinds.None);
        }
    }
}

/// <summary>
/// What a run's messages tell about one profile. <see cref="FirstAt"/>: the earliest event time of its messages (first
/// seen). <see cref="LastAt"/>: the latest event time of its messages, whatever they brought (traits, an identifier,
/// an event): when the profile last changed. <see cref="ActivityAt"/>: the latest event time of its timeline events
/// (last activity; <see cref="DateTime.MinValue"/> when the run brought none: a CRM record or a sign-in is data about the
/// person, not activity). <see cref="MessageId"/>: its latest message in the lake.
/// </summary>
public readonly record struct ProfileTouch(DateTime FirstAt, DateTime LastAt, DateTime ActivityAt, long MessageId)
{
    /// <summary>Both runs' worth of messages, as when one profile's messages are moved onto another's.</summary>
    public ProfileTouch Combine(ProfileTouch other) => new(
        FirstAt < other.FirstAt ? FirstAt : other.FirstAt,
        LastAt > other.LastAt ? LastAt : other.LastAt,
        ActivityAt > other.ActivityAt ? ActivityAt : other.ActivityAt,
        Math.Max(MessageId, other.MessageId));
}

/// <summary>
/// Stage 2: resolves each read message's identifiers in the identity graph, in lake order (link,
/// merge, or refuse under the rules), and records every decision (new profile, merge, refusal, blocked
/// value, device moved) as an insight. A scope (a split's replay) limits it to some identifiers.
/// </summary>
public sealed class IdentityStage : IUnificationStage
{
    public IStageChanges Process(UnificationRun run)
    {
        var graph = run.Graph;
        var changes = new IdentityChanges();
        foreach (var read in run.Output<MessageReadChanges>().Messages)
        {
            var message = read.Message;
            if (read.Content is not { } content)
            {
                changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, read.Unreadable!));
                continue;
            }
            // One pass, no LINQ: this runs for every message of every run.
            var keys = new List<IdentityKey>(content.Identifiers.Count);
            foreach (var identifier in content.Identifiers)
            {
                if (identifier.Key is { } key)
                {
                    keys.Add(key);
                }
                else
                {
                    changes.Insights.Add(Insight(message, InsightKinds.Blocked, null, identifier.DroppedBecause!, identifier.Namespace, identifier.Raw));
                }
            }
            if (run.Scope is { } scope)
            {
                keys.RemoveAll(k => !scope.Contains(k));
                if (keys.Count == 0)
                {
                    continue;
                }
            }
            if (keys.Count == 0)
            {
                changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, "the message carries no usable identifier"));
                continue;
            }

            var resolution = graph.Resolve(keys);
            Record(graph, message, keys, resolution, changes);
            if (resolution.ProfileId is not { } profileId)
            {
                changes.Insights.Add(Insight(message, InsightKinds.Unidentified, null, "every identifier was refused"));
                continue;
            }
            if (content.EventName is not null)
            {
                // Only timeline events are the person's activity (the explorer's "last activity").
                var activity = changes.Touched[profileId];
                changes.Touched[profileId] = activity with { ActivityAt = Max(activity.ActivityAt, message.EventAt) };
            }
            changes.Resolved.Add((read, profileId));
        }

        // What the run attached to profiles that were merged later in the same run moves onto the survivors.
        var touched = changes.Touched.ToList();
        changes.Touched.Clear();
        foreach (var (profile, last) in touched)
        {
            var survivor = graph.Canonical(profile);
            changes.Touched[survivor] = changes.Touched.TryGetValue(survivor, out var current) ? current.Combine(last) : last;
        }
        foreach (var (key, record) in changes.Identities)
        {
            record.ProfileId = graph.ProfileOf(key) ?? 0;
        }
        return changes;
    }

    /// <summary>
    /// A refused identifier in Insights: "refused: …", never "set aside", which is what the Rejected messages
    /// page calls a message unification could not process: a refusal is a decision, not a failure.
    /// </summary>
    internal static string RefusedDetail(SetAsideIdentity aside) => $"refused: {aside.Key} not linked ({aside.Reason})";

    /// <summary>
    /// Records what resolving a message's identifiers did: refusals, a new profile, merges, moved
    /// devices, the identifiers and their links; then the same for identifiers a never-link rule
    /// kept apart and that were resolved on their own.
    /// </summary>
    private static void Record(IdentityGraph graph, RawMessage message, IReadOnlyList<IdentityKey> keys, Resolution resolution, IdentityChanges changes)
    {
        foreach (var aside in resolution.SetAside)
        {
            changes.Insights.Add(Insight(message, InsightKinds.Refused, resolution.ProfileId,
                RefusedDetail(aside), aside.Key.Namespace, aside.Key.Value, graph.ProfileOf(aside.Key)));
        }
        if (resolution.ProfileId is { } profileId)
        {
            if (resolution.Created)
            {
                // A new profile is recorded on the profile itself (created, first message); insights keep the decisions.
                changes.CreatedProfiles.Add(new Profile { Id = profileId, CreatedAt = message.EventAt, UpdatedAt = message.EventAt, FirstMessageId = message.Id, LastMessageId = message.Id });
            }
            foreach (var merged in resolution.Merged)
            {
                changes.Merges.Add((merged, profileId));
                changes.Insights.Add(Insight(message, InsightKinds.Merged, profileId,
                    $"profile {merged} merged into {profileId}: {string.Join(", ", keys)} seen together", otherProfile: merged));
            }
            // Anonymous browsing that becomes a identified person (the login after browsing) is the merge people look for.
            var identified = !resolution.Created && resolution.Merged.Count == 0 ? Identified(graph, resolution.Added) : null;
            if (identified is not null
                && graph.IdentitiesOf(profileId).All(k => identified.Contains(k) || graph.Rules.Find(k.Namespace) is { IsDevice: true }))
            {
                var devices = graph.IdentitiesOf(profileId).Where(k => !identified.Contains(k)).Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList();
                changes.Insights.Add(Insight(message, InsightKinds.Merged, profileId,
                    $"the anonymous history of profile {profileId} ({string.Join(", ", devices)}) now belongs to {string.Join(", ", identified)}: seen together",
                    identified[0].Namespace, identified[0].Value));
            }
            foreach (var (key, from) in resolution.Reassigned)
            {
                if (from != 0)
                {
                    changes.LostIdentities.Add(from);
                }
                changes.Insights.Add(Insight(message, InsightKinds.Reassigned, profileId,
                    $"{key} moved from profile {from} to {profileId}: the device's latest sign-in", key.Namespace, key.Value, from));
            }

            var members = new List<IdentityKey>(keys.Count);
            foreach (var key in keys)
            {
                if (graph.ProfileOf(key) == profileId)
                {
                    members.Add(key);
                }
            }
            foreach (var key in members)
            {
                if (changes.Identities.TryGetValue(key, out var known))
                {
                    known.LastMessageId = message.Id;
                    known.LastSeenAt = Max(known.LastSeenAt, message.EventAt);
                }
                else
                {
                    changes.Identities[key] = new IdentityRecord
                    {
                        Namespace = key.Namespace, Value = key.Value, SourceId = message.SourceId,
                        FirstMessageId = message.Id, LastMessageId = message.Id, FirstSeenAt = message.EventAt, LastSeenAt = message.EventAt,
                    };
                }
            }
            // Edges from the message's strongest identifier to each other one: who was seen with whom, by which source.
            for (var i = 1; i < members.Count; i++)
            {
                var edge = (members[0], members[i]);
                if (changes.Links.TryGetValue(edge, out var link))
                {
                    link.LastSeenAt = Max(link.LastSeenAt, message.EventAt);
                }
                else
                {
                    changes.Links[edge] = new IdentityLink { SourceId = message.SourceId, FirstMessageId = message.Id, FirstSeenAt = message.EventAt, LastSeenAt = message.EventAt };
                }
            }
            changes.Touched[profileId] = changes.Touched.TryGetValue(profileId, out var touched)
                ? touched with { FirstAt = Min(touched.FirstAt, message.EventAt), LastAt = Max(touched.LastAt, message.EventAt), MessageId = message.Id }
                : new ProfileTouch(message.EventAt, message.EventAt, DateTime.MinValue, message.Id);
        }
        foreach (var detached in resolution.Detached)
        {
            Record(graph, message, resolution.SetAside.Where(a => a.NeverLink).Select(a => a.Key).ToList(), detached, changes);
        }
    }

    /// <summary>The identifiers a resolution added that are not devices' (null when none: most messages add none).</summary>
    private static List<IdentityKey>? Identified(IdentityGraph graph, IReadOnlyList<IdentityKey> added)
    {
        List<IdentityKey>? identified = null;
        foreach (var key in added)
        {
            if (graph.Rules.Find(key.Namespace) is { IsDevice: false })
            {
                (identified ??= []).Add(key);
            }
        }
        return identified;
    }

    private static IdentityInsight Insight(RawMessage message, string kind, long? profileId, string detail,
        string? ns = null, string? value = null, long? otherProfile = null) => new()
    {
        At = message.ReceivedAt,
        Kind = kind,
        ProfileId = profileId,
        OtherProfileId = otherProfile,
        Namespace = ns,
        Value = value,
        MessageId = message.Id,
        SourceId = message.SourceId,
        Detail = detail,
    };

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
