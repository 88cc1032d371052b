using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Unification.Stages;

/// <summary>The fragment stage's changes: the newest attribute value per (profile, source, key), and timeline events.</summary>
public sealed class FragmentChanges : IStageChanges
{
    /// <summary>The newest value per (profile, source, key) seen in the run.</summary>
    public Dictionary<(long Profile, int Source, string Key), ProfileAttribute> Attributes { get; } = [];

    public List<ProfileEvent> Events { get; } = [];

    public void Describe(ProfileChangeMarks marks)
    {
        foreach (var attribute in Attributes.Values)
        {
            marks.Mark(attribute.ProfileId, ProfileChangeKinds.Attributes);
        }
        foreach (var e in Events)
        {
            marks.Mark(e.ProfileId, ProfileChangeKinds.Events);
        }
    }

    /// <summary>Keeps the newest value per (profile, source, key) (see <see cref="ProfileAttribute.Supersedes"/>).</summary>
    public void Set(ProfileAttribute attribute)
    {
        var slot = (attribute.ProfileId, attribute.SourceId, attribute.Key);
        if (!Attributes.TryGetValue(slot, out var current) || attribute.Supersedes(current))
        {
            Attributes[slot] = attribute;
        }
    }
}

/// <summary>
/// Stage 3: the resolved messages' <c>identify</c> traits become attribute fragments of the message's
/// source at its event time; <c>track</c>/<c>page</c>/<c>screen</c> become timeline events, and so does
/// <c>group</c> (the group id as its name, the group's traits as its properties). Profile ids are the
/// survivors' of the run's merges.
/// </summary>
public sealed class FragmentStage : IUnificationStage
{
    public IStageChanges Process(UnificationRun run)
    {
        var changes = new FragmentChanges();
        foreach (var (read, resolvedTo) in run.Output<IdentityChanges>().Resolved)
        {
            var (message, content) = (read.Message, read.Content!);
            var profileId = run.Graph.Canonical(resolvedTo);
            foreach (var (key, valueJson) in content.Traits)
            {
                changes.Set(new ProfileAttribute
                {
                    ProfileId = profileId, SourceId = message.SourceId, Key = key,
                    ValueJson = valueJson, EventAt = message.EventAt, MessageId = message.Id,
                });
            }
            if (content.EventName is { } name)
            {
                changes.Events.Add(new ProfileEvent
                {
                    ProfileId = profileId,
                    MessageId = message.Id,
                    SourceId = message.SourceId,
                    Type = message.Type,
                    Name = name,
                    EventAt = message.EventAt,
                    PropertiesJson = content.PropertiesJson,
                });
            }
        }
        return changes;
    }
}

/// <summary>Writes attribute fragments (the newer value wins) and timeline events.</summary>
public sealed class FragmentWriter : StageWriter<FragmentChanges>
{
    private static readonly RowSql UpsertAttribute = new(t => $"""
        INSERT INTO {t.ProfileAttributes} (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (ProfileId, SourceId, Key) DO UPDATE SET ValueJson = excluded.ValueJson, EventAt = excluded.EventAt, MessageId = excluded.MessageId
        WHERE excluded.EventAt > {t.ProfileAttributes}.EventAt
            OR (excluded.EventAt = {t.ProfileAttributes}.EventAt AND excluded.MessageId >= {t.ProfileAttributes}.MessageId)
        """);

    private static readonly RowSql InsertEvent = new(t =>
        $"INSERT INTO {t.ProfileEvents} (ProfileId, MessageId, SourceId, Type, Name, EventAt, PropertiesJson) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

    protected override void Write(FragmentChanges changes, StageWriteContext context)
    {
        foreach (var a in changes.Attributes.Values)
        {
            context.Statement(UpsertAttribute).Bind(1, a.ProfileId).Bind(2, a.SourceId).Bind(3, a.Key).Bind(4, a.ValueJson).Bind(5, a.EventAt).Bind(6, a.MessageId).Execute();
        }
        foreach (var e in changes.Events)
        {
            context.Statement(InsertEvent)
                .Bind(1, e.ProfileId).Bind(2, e.MessageId).Bind(3, e.SourceId).Bind(4, e.Type).Bind(5, e.Name).Bind(6, e.EventAt).Bind(7, e.PropertiesJson).Execute();
        }
    }
}
