using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification.Stages;

namespace ProfileStudio.Core.Unification;

/// <summary>What one stage of a run changed, written by the stage's <see cref="IStageWriter"/> in the run's transaction.</summary>
public interface IStageChanges
{
    /// <summary>Tells the change feed what these changes did to each profile.</summary>
    void Describe(ProfileChangeMarks marks);
}

/// <summary>
/// One step of a unification run: reads the run's messages and the earlier stages' changes
/// (<see cref="UnificationRun.Output{T}"/>) and returns its own. Pure: no storage and no clock
/// (the identity graph in the run is the only state), so the same messages give the same changes.
/// </summary>
public interface IUnificationStage
{
    IStageChanges Process(UnificationRun run);
}

/// <summary>The input of a run's stages: its messages, the identity graph, and what earlier stages returned.</summary>
public sealed class UnificationRun(IReadOnlyList<RawMessage> messages, IdentityGraph graph, IReadOnlySet<IdentityKey>? scope, UnificationChanges changes)
{
    public IReadOnlyList<RawMessage> Messages => messages;

    public IdentityGraph Graph => graph;

    /// <summary>Limits the run to some identifiers (a split's replay): others are ignored, messages with none skipped.</summary>
    public IReadOnlySet<IdentityKey>? Scope => scope;

    /// <summary>The changes an earlier stage returned.</summary>
    public T Output<T>() where T : class, IStageChanges => changes.Find<T>()
        ?? throw new InvalidOperationException($"No earlier stage produced {typeof(T).Name}: check the order of the pipeline's stages.");
}

/// <summary>Writes one kind of stage changes into the profile store, in the run's transaction.</summary>
public interface IStageWriter
{
    Type Changes { get; }

    void Write(IStageChanges changes, StageWriteContext context);
}

public abstract class StageWriter<T> : IStageWriter where T : class, IStageChanges
{
    public Type Changes => typeof(T);

    public void Write(IStageChanges changes, StageWriteContext context) => Write((T)changes, context);

    protected abstract void Write(T changes, StageWriteContext context);
}

/// <summary>
/// What a writer needs: the tables (live, or a rebuild's shadow), prepared statements, the transaction and the time.
/// Stage writers write SQL for the SQLite store; another provider brings its own writer per stage.
/// A stop asked for (<paramref name="ct"/>) is noticed at the next statement: the run's transaction rolls back whole.
/// </summary>
public sealed class StageWriteContext(SqliteUnificationStore store, SqliteTransaction transaction, DateTime now, CancellationToken ct = default, ProfileChangeMarks? marks = null)
{
    public ProfileTables T => store.T;

    /// <summary>
    /// What the writers learn only as they write (a stored time that moved), for the run's change feed beside what
    /// the stages describe; null outside a run (maintenance writes its own feed rows).
    /// </summary>
    public ProfileChangeMarks? Marks => marks;

    public DateTime Now => now;

    /// <summary>A hot statement, prepared once per store and bound by position.</summary>
    public SqliteStatement Statement(string sql)
    {
        ct.ThrowIfCancellationRequested();
        return store.Statement(sql);
    }

    /// <summary>A statement run for many rows, over this store's tables (see <see cref="RowSql"/>), prepared once per store.</summary>
    public SqliteStatement Statement(RowSql sql)
    {
        ct.ThrowIfCancellationRequested();
        return store.Statement(sql);
    }

    /// <summary>A statement with named parameters, prepared once per store.</summary>
    public void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        ct.ThrowIfCancellationRequested();
        store.Execute(transaction, sql, parameters);
    }

    /// <summary>
    /// A read in the run's transaction, prepared once per store (parameters <c>$1</c>, <c>$2</c>, … bound
    /// in order): a writer that folds new changes into stored rows reads them here, so nothing committed
    /// between its read and its write can be lost.
    /// </summary>
    public SqliteDataReader Query(string sql, params object[] parameters) => store.Query(transaction, sql, parameters);
}

/// <summary>
/// The SQL of a statement a stage writer runs once per row, over the store's table names (the live ones or a rebuild's
/// shadow; or a text that names its table itself): held in a static field, so the store finds its prepared statement by this object. Built from an interpolated
/// string on every row instead, the text (a few hundred characters) was put together and hashed again for each of the
/// run's events, identifiers and profiles.
/// </summary>
public sealed class RowSql(Func<ProfileTables, string> text)
{
    /// <summary>The statement's text over <paramref name="tables"/>.</summary>
    public string For(ProfileTables tables) => text(tables);
}

/// <summary>What a run did to each profile, collected from every stage's changes for the change feed.</summary>
public sealed class ProfileChangeMarks
{
    private readonly Dictionary<long, ProfileChangeKinds> _kinds = [];
    private readonly List<ProfileChange> _rows = [];

    public void Mark(long profileId, ProfileChangeKinds kinds)
    {
        if (profileId != 0)
        {
            _kinds[profileId] = _kinds.GetValueOrDefault(profileId) | kinds;
        }
    }

    /// <summary>A row of its own (a merge names the merged profile).</summary>
    public void Add(long profileId, ProfileChangeKinds kinds, long? otherProfileId) =>
        _rows.Add(new ProfileChange { ProfileId = profileId, Kinds = kinds, OtherProfileId = otherProfileId });

    public IEnumerable<ProfileChange> Rows => _rows.Concat(_kinds.Select(k => new ProfileChange { ProfileId = k.Key, Kinds = k.Value }));
}

/// <summary>
/// The ordered stages of a run and the writers of their changes. Today: read the messages
/// (identifiers extracted, normalized, blocked values dropped; unreadable messages set aside), resolve
/// them in the identity graph, then attribute fragments and timeline events. A new capability adds
/// one stage and its writer with <see cref="With"/>: no other stage, the engine or the store changes.
/// </summary>
public sealed class UnificationPipeline(IReadOnlyList<IUnificationStage> stages, IReadOnlyList<IStageWriter> writers)
{
    public static UnificationPipeline Default { get; } = new(
        [new MessageReadStage(), new IdentityStage(), new FragmentStage()],
        [new SetAsideWriter(), new IdentityWriter(), new FragmentWriter()]);

    public IReadOnlyList<IUnificationStage> Stages => stages;

    /// <summary>In the order the store runs them: a stage's writer after the writers of the stages before it.</summary>
    public IReadOnlyList<IStageWriter> Writers => writers;

    /// <summary>This pipeline with one more stage at the end.</summary>
    public UnificationPipeline With(IUnificationStage stage, IStageWriter writer) => new([.. stages, stage], [.. writers, writer]);
}
