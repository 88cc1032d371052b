using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The outcome of a save or status change: the saved definition, or the problems to fix (nothing saved). <see cref="Conflict"/>: the
/// change was refused because someone saved the definition after the editor loaded it (its one problem says who and when).
/// </summary>
public sealed record ComputedAttributeResult(bool Succeeded, IReadOnlyList<string> Problems, ComputedAttributeDefinition? Definition = null, EditConflict? Conflict = null)
{
    public static ComputedAttributeResult Fail(params string[] problems) => new(false, problems);

    public static ComputedAttributeResult Conflicted(EditConflict conflict) => new(false, [conflict.Describe("this computed attribute")], Conflict: conflict);
}

public enum BackfillState
{
    /// <summary>A draft or disabled definition: nothing is computed.</summary>
    NotStarted,

    /// <summary>Activated; the backfill job has not picked it up yet.</summary>
    Waiting,

    Running,
    Done,

    /// <summary>The last attempt failed (<see cref="BackfillProgress.Error"/>); the job retries.</summary>
    Failed,
}

/// <summary>How far a definition's backfill got: processed of total profiles, and an estimate of the time left.</summary>
public sealed record BackfillProgress(BackfillState State, int Version, long Processed, long Total, DateTime? StartedAt, DateTime? FinishedAt, TimeSpan? Eta, string? Error)
{
    /// <summary>0..1 for a progress bar.</summary>
    public double Fraction => State == BackfillState.Done ? 1 : Total <= 0 ? 0 : Math.Clamp((double)Processed / Total, 0, 1);

    public static BackfillProgress Of(ComputedAttributeDefinition d, DateTime now)
    {
        if (d.Status != ComputedStatus.Active || d.BackfillVersion != d.Version)
        {
            return new(BackfillState.NotStarted, d.Version, 0, 0, null, null, null, null);
        }
        if (d.BackfillDone)
        {
            return new(BackfillState.Done, d.Version, d.BackfillTotal, d.BackfillTotal, d.BackfillStartedAt, d.BackfillFinishedAt, TimeSpan.Zero, null);
        }
        if (d.BackfillError is { } error)
        {
            return new(BackfillState.Failed, d.Version, d.BackfillProcessed, d.BackfillTotal, d.BackfillStartedAt, null, null, error);
        }
        if (d.BackfillStartedAt is not { } started)
        {
            return new(BackfillState.Waiting, d.Version, 0, 0, null, null, null, null);
        }
        TimeSpan? eta = null;
        if (d.BackfillProcessed > 0 && d.BackfillTotal >= d.BackfillProcessed)
        {
            var elapsed = now - started;
            eta = TimeSpan.FromTicks((long)(elapsed.Ticks * ((double)(d.BackfillTotal - d.BackfillProcessed) / d.BackfillProcessed)));
        }
        return new(BackfillState.Running, d.Version, d.BackfillProcessed, d.BackfillTotal, started, null, eta, null);
    }
}

/// <summary>
/// The computed attribute definitions as stored. Every change is checked and audited. Activating a
/// definition, or saving an edit of an active one (a new version), starts its backfill
/// (<see cref="ComputedAttributeBackfill"/>); disabling one removes its values. The active definitions are
/// published to <see cref="ComputedDefinitionCatalog"/>, which the live stage reads. A change made from what an editor loaded carries its
/// <see cref="ComputedAttributeDefinition.Revision"/>, and is refused (<see cref="ComputedAttributeResult.Conflict"/>) when someone saved the
/// definition since: the second of two people editing at once would otherwise undo the first one's change.
/// </summary>
public sealed class ComputedAttributeStore(
    IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time, ComputedDefinitionCatalog catalog, Expressions.ExpressionAttributes expressions,
    Schema.SchemaCatalog schema)
{
    // One writer at a time: the unique-name check and the write that relies on it stay together.
    private readonly SemaphoreSlim _writes = new(1, 1);

    /// <summary>Every definition, by name.</summary>
    public async Task<IReadOnlyList<ComputedAttributeDefinition>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.ComputedAttributeDefinitions.AsNoTracking().ToListAsync(ct);
        return all.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<ComputedAttributeDefinition?> GetAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ComputedAttributeDefinitions.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
    }

    public async Task<ComputedAttributeDefinition?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        var all = await ListAsync(ct);
        return all.FirstOrDefault(d => string.Equals(d.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The backfill progress of a definition (null: no such definition).</summary>
    public async Task<BackfillProgress?> BackfillAsync(int id, CancellationToken ct = default) =>
        await GetAsync(id, ct) is { } d ? BackfillProgress.Of(d, time.GetUtcNow().UtcDateTime) : null;

    /// <summary>The problems of a draft (empty: it can be saved), with the property kinds seen in its events.</summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(ComputedAttributeDraft draft, int? id = null, CancellationToken ct = default)
    {
        var observed = await ObservedKindsAsync(draft, ct);
        var problems = ComputedAttributeValidator.Validate(draft, observed).ToList();
        if (draft.Function == ComputedFunction.Expression && problems.Count == 0)
        {
            // Names are checked against what profiles have and the other computed attributes (no cycles).
            problems.AddRange((await expressions.ValidateAsync(draft.Formula, draft.Name, ct)).Problems.Select(p => p.ToString()));
        }
        if (problems.Count == 0 && await NestedTraitClashAsync(draft.Name.Trim(), ct) is { } clash)
        {
            problems.Add(clash);
        }
        if (problems.Count == 0 && await FindByNameAsync(draft.Name, ct) is { } same && same.Id != id)
        {
            problems.Add($"A computed attribute named \"{same.Name}\" exists already.");
        }
        return problems;
    }

    /// <summary>
    /// What naming a definition <paramref name="name"/> does to the traits sources send (the union schema), said while the
    /// name is typed; it does not stop a save. A computed attribute wins over a sent trait of its name (as in Segment): in the
    /// Profile API, in segments and in formulas it replaces it. Traits sent under it (<c>name.x</c>) give way in the Profile
    /// API, whose <c>name</c> object the computed value takes, while segments still read them.
    /// </summary>
    public async Task<IReadOnlyList<string>> NameWarningsAsync(string? name, CancellationToken ct = default)
    {
        var key = name?.Trim() ?? "";
        if (AttributeKeys.Problem(key) is not null || key.Contains('.'))
        {
            return []; // a dotted name on a sent trait is refused (NestedTraitClashAsync)
        }
        var sent = await schema.PathsAtAsync(key, ct);
        var warnings = new List<string>();
        if (sent.FirstOrDefault(p => p.Path == key) is { Path: not null } same)
        {
            warnings.Add($"{key} is also a trait sources send ({Seen(same.Profiles)}): this computed attribute will replace it in the Profile API and in segments.");
        }
        var under = sent.Where(p => p.Path != key).ToList();
        if (under.Count > 0)
        {
            var named = string.Join(", ", under.Take(3).Select(p => $"{p.Path} {Seen(p.Profiles)}")) + (under.Count > 3 ? $" and {under.Count - 3:N0} more" : "");
            warnings.Add($"Sources send traits under {key} ({named}): in the Profile API this computed attribute will replace the whole {key} object; segments still read those traits as sent.");
        }
        return warnings;
    }

    /// <summary>
    /// A dotted name that is a trait sources send is refused: the Profile API nests sent keys (address → city) and lists a
    /// computed one under its whole name ("address.city"), so it would show both while segments read the computed one.
    /// </summary>
    private async Task<string?> NestedTraitClashAsync(string key, CancellationToken ct)
    {
        var dot = key.LastIndexOf('.');
        if (dot < 0 || (await schema.PathsAtAsync(key, ct)).FirstOrDefault(p => p.Path == key) is not { Path: not null } sent)
        {
            return null;
        }
        return $"{key} is a trait sources send ({Seen(sent.Profiles)}). The Profile API would show both: the sent one nested as {key[..dot]} → {key[(dot + 1)..]} "
            + $"and this one as \"{key}\", while segments would read this one. Choose a name without a dot, or another name.";
    }

    private static string Seen(long profiles) => profiles switch
    {
        0 => "on no profile at the moment",
        1 => "seen on 1 profile",
        _ => $"seen on {profiles:N0} profiles",
    };

    /// <summary>
    /// Creates (<paramref name="id"/> null: a draft) or changes a definition. Changing what an active definition
    /// computes makes a new version and backfills it again (each profile's value of the old version is served, marked
    /// as such, until the backfill reaches it; an aggregate made an expression, which keeps no values, loses them at once);
    /// a new name or description alone keeps the version and its values. <paramref name="expectedRevision"/>: the
    /// <see cref="ComputedAttributeDefinition.Revision"/> the editor loaded; a change is refused if another was saved since
    /// (null: not checked, for callers that showed nobody the definition; ignored when creating).
    /// </summary>
    public async Task<ComputedAttributeResult> SaveAsync(AuditActor actor, int? id, ComputedAttributeDraft draft, int? expectedRevision = null, CancellationToken ct = default)
    {
        draft = Normalize(draft);
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // Before the draft's problems: after a reload there may be none, or others.
            if (id is { } edited && await db.ComputedAttributeDefinitions.AsNoTracking().FirstOrDefaultAsync(d => d.Id == edited, ct) is { } loaded
                && Stale(loaded, expectedRevision) is { } stale)
            {
                return stale;
            }
            var problems = await ValidateAsync(draft, id, ct);
            if (problems.Count > 0)
            {
                return new(false, problems);
            }
            // The checks below and the write are one step for this database, not only for this process.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            ComputedAttributeDefinition definition;
            var dropValues = false;
            if (id is { } existing)
            {
                if (await db.ComputedAttributeDefinitions.FirstOrDefaultAsync(d => d.Id == existing, ct) is not { } found)
                {
                    return ComputedAttributeResult.Fail($"There is no computed attribute {existing}.");
                }
                if (Stale(found, expectedRevision) is { } changed)
                {
                    return changed;
                }
                definition = found;
                if (!string.Equals(definition.Name, draft.Name, StringComparison.Ordinal) && await UsersOfAsync(db, definition, ct) is { Count: > 0 } readers)
                {
                    return InUse(definition, readers, "change those to the new name first, or keep this name.");
                }
                var (meaning, name, wasExpression) = (Meaning(definition), definition.Name, definition.Function == ComputedFunction.Expression);
                Apply(definition, draft);
                if (Meaning(definition) != meaning)
                {
                    // What it computes changed: a new version, computed again for everyone (each profile's old value is served
                    // until the backfill reaches it, ComputedAttributeReader).
                    definition.Version++;
                    if (definition.Status == ComputedStatus.Active)
                    {
                        StartBackfill(definition);
                    }
                    // An expression is evaluated when read and has no backfill to replace the aggregate's stored values: they go now.
                    dropValues = definition.Function == ComputedFunction.Expression && !wasExpression;
                }
                else if (definition.Status == ComputedStatus.Active && !string.Equals(name, definition.Name, StringComparison.Ordinal))
                {
                    // The same values under another name: consumers that keep values by name read them again (profile 0: every profile).
                    db.ProfileChanges.Add(new ProfileChange { At = now, ProfileId = 0, Kinds = ProfileChangeKinds.Computed });
                }
                // A new description alone keeps the version and the values.
            }
            else
            {
                definition = new ComputedAttributeDefinition { Status = ComputedStatus.Draft, Version = 1, CreatedAt = now };
                db.ComputedAttributeDefinitions.Add(definition);
                Apply(definition, draft);
            }
            (definition.UpdatedAt, definition.UpdatedBy) = (now, actor.Name);
            if (id is not null)
            {
                definition.Revision++;
            }
            if (dropValues)
            {
                await DeleteValuesAsync(db, definition.Id, ct);
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, id is null ? AuditActions.ComputedAttributeCreated : AuditActions.ComputedAttributeUpdated, definition.Name,
                AuditDetail(definition), ct);
            await RefreshCatalogAsync(ct);
            return new(true, [], definition);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>What a saved definition computes, for the audit log: function, events, conditions, window, formula and version.</summary>
    internal static string AuditDetail(ComputedAttributeDefinition definition) => definition.Function == ComputedFunction.Expression
        ? $"formula {definition.Formula}; version {definition.Version}"
        : $"{ComputedFunctions.Describe(definition.Function, definition.PropertyPath)} over {string.Join(", ", definition.EventNames)}"
            + (definition.Conditions is { Count: > 0 } conditions ? $" {ComputedConditionText.Where(conditions)}" : "")
            + $", {definition.Window}; version {definition.Version}";

    /// <summary>
    /// Makes a definition active and starts its backfill (a disabled one is computed afresh).
    /// <paramref name="expectedRevision"/>: as for <see cref="SaveAsync"/> (what is activated is what the person saw).
    /// </summary>
    public Task<ComputedAttributeResult> ActivateAsync(AuditActor actor, int id, int? expectedRevision = null, CancellationToken ct = default) =>
        ChangeStatusAsync(actor, id, ComputedStatus.Active, expectedRevision, ct);

    /// <summary>
    /// Stops computing a definition and removes its values; activating it again backfills it.
    /// <paramref name="expectedRevision"/>: as for <see cref="SaveAsync"/>.
    /// </summary>
    public Task<ComputedAttributeResult> DisableAsync(AuditActor actor, int id, int? expectedRevision = null, CancellationToken ct = default) =>
        ChangeStatusAsync(actor, id, ComputedStatus.Disabled, expectedRevision, ct);

    /// <summary>
    /// Deletes a draft or disabled definition (an active one must be disabled first).
    /// <paramref name="expectedRevision"/>: as for <see cref="SaveAsync"/> (someone's edit saved since is not deleted unseen).
    /// </summary>
    public async Task<ComputedAttributeResult> DeleteAsync(AuditActor actor, int id, int? expectedRevision = null, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.ComputedAttributeDefinitions.FirstOrDefaultAsync(d => d.Id == id, ct) is not { } definition)
            {
                return ComputedAttributeResult.Fail($"There is no computed attribute {id}.");
            }
            if (Stale(definition, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (definition.Status == ComputedStatus.Active)
            {
                return ComputedAttributeResult.Fail($"\"{definition.Name}\" is active: disable it before deleting it.");
            }
            if (await UsersOfAsync(db, definition, ct) is { Count: > 0 } readers)
            {
                return InUse(definition, readers, "change or disable those first.");
            }
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await DeleteValuesAsync(db, id, ct);
            db.ComputedAttributeDefinitions.Remove(definition);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, AuditActions.ComputedAttributeDeleted, definition.Name, "", ct);
            await RefreshCatalogAsync(ct);
            return new(true, [], definition);
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task<ComputedAttributeResult> ChangeStatusAsync(AuditActor actor, int id, ComputedStatus status, int? expectedRevision, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (await db.ComputedAttributeDefinitions.FirstOrDefaultAsync(d => d.Id == id, ct) is not { } definition)
            {
                return ComputedAttributeResult.Fail($"There is no computed attribute {id}.");
            }
            if (Stale(definition, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (definition.Status == status)
            {
                return new(true, [], definition);
            }
            if (status == ComputedStatus.Active && ComputedAttributeValidator.Validate(definition.ToDraft()) is { Count: > 0 } problems)
            {
                return new(false, problems);
            }
            if (status != ComputedStatus.Active && await UsersOfAsync(db, definition, ct) is { Count: > 0 } readers)
            {
                return InUse(definition, readers, "change or disable those first; they would have no value to read.");
            }
            definition.Status = status;
            (definition.UpdatedAt, definition.UpdatedBy) = (time.GetUtcNow().UtcDateTime, actor.Name);
            definition.Revision++;
            if (status == ComputedStatus.Active)
            {
                StartBackfill(definition);
            }
            else
            {
                // A disabled definition's values are no longer kept current: they go rather than go stale.
                await DeleteValuesAsync(db, id, ct);
                definition.BackfillVersion = 0;
                definition.BackfillDone = false;
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, status == ComputedStatus.Active ? AuditActions.ComputedAttributeActivated : AuditActions.ComputedAttributeDisabled, definition.Name,
                $"version {definition.Version}", ct);
            await RefreshCatalogAsync(ct);
            return new(true, [], definition);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Removes a definition's values in the caller's transaction and, when there were any, tells change-feed consumers that
    /// computed values changed, once for every profile (profile 0), as the end of a backfill does.
    /// </summary>
    private async Task DeleteValuesAsync(ProfileStudioDbContext db, int id, CancellationToken ct)
    {
        // The definition's entries leave every row that has one, a slice of rows at a time (in the caller's transaction).
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var removed = 0;
        var after = 0L;
        // Prepared once for all the rows (this runs under the write lock).
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = $"UPDATE {ComputedProfileState.Table} SET Entries = $e, NextExpiryAt = $x WHERE ProfileId = $p";
        update.Parameters.Add(new SqliteParameter("$p", SqliteType.Integer));
        update.Parameters.Add(new SqliteParameter("$e", SqliteType.Blob));
        update.Parameters.Add(new SqliteParameter("$x", SqliteType.Text));
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = $"DELETE FROM {ComputedProfileState.Table} WHERE ProfileId = $p";
        delete.Parameters.Add(new SqliteParameter("$p", SqliteType.Integer));
        while (true)
        {
            var rewrites = new List<(long Profile, List<ComputedEntry> Entries)>();
            var read = 0;
            await using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = $"SELECT ProfileId, Entries FROM {ComputedProfileState.Table} WHERE ProfileId > $after ORDER BY ProfileId LIMIT 10000";
                select.Parameters.Add(new SqliteParameter("$after", after));
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    read++;
                    after = reader.GetInt64(0);
                    var bytes = reader.GetFieldValue<byte[]>(1);
                    if (ComputedEntries.Definitions(bytes).Any(e => e.Definition == id))
                    {
                        rewrites.Add((after, ComputedEntries.Decode(bytes).Where(e => e.DefinitionId != id).ToList()));
                    }
                }
            }
            foreach (var (profile, entries) in rewrites)
            {
                var write = entries.Count == 0 ? delete : update;
                write.Parameters["$p"].Value = profile;
                if (entries.Count > 0)
                {
                    write.Parameters["$e"].Value = ComputedEntries.Encode(entries);
                    write.Parameters["$x"].Value = (object?)ComputedEntries.NextExpiry(entries) ?? DBNull.Value;
                }
                await write.ExecuteNonQueryAsync(ct);
            }
            removed += rewrites.Count;
            if (read < 10000)
            {
                break;
            }
        }
        if (removed > 0)
        {
            db.ProfileChanges.Add(new ProfileChange { At = time.GetUtcNow().UtcDateTime, ProfileId = 0, Kinds = ProfileChangeKinds.Computed });
        }
    }

    /// <summary>Publishes the active definitions to the live stage (and wakes the backfill job).</summary>
    public async Task RefreshCatalogAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Expression attributes are evaluated when read (ExpressionAttributes): the live stage never sees them.
        var active = await db.ComputedAttributeDefinitions.AsNoTracking()
            .Where(d => d.Status == ComputedStatus.Active && d.Function != ComputedFunction.Expression).ToListAsync(ct);
        catalog.Publish(active.Select(d => d.ToSpec()));
    }

    /// <summary>The backfill of the definition's current version starts from the first profile.</summary>
    internal static void StartBackfill(ComputedAttributeDefinition d)
    {
        d.BackfillVersion = d.Version;
        if (d.Function == ComputedFunction.Expression)
        {
            // Nothing to backfill: an expression is evaluated when read.
            (d.BackfillCursor, d.BackfillDone, d.BackfillProcessed, d.BackfillTotal, d.BackfillError) = (long.MaxValue, true, 0, 0, null);
            d.BackfillStartedAt = d.BackfillFinishedAt = d.UpdatedAt;
            return;
        }
        d.BackfillCursor = 0;
        d.BackfillDone = false;
        d.BackfillProcessed = 0;
        d.BackfillTotal = 0;
        d.BackfillStartedAt = null;
        d.BackfillFinishedAt = null;
        d.BackfillError = null;
    }

    /// <summary>
    /// What reads a computed attribute by its name: active segments (a condition on it) and active expression attributes
    /// (a formula naming it), described for a message; empty when nothing does. Renaming, disabling or deleting it
    /// would silently empty those, so it is refused while they do.
    /// </summary>
    private static async Task<List<string>> UsersOfAsync(ProfileStudioDbContext db, ComputedAttributeDefinition definition, CancellationToken ct)
    {
        var users = new List<string>();
        foreach (var segment in await db.Segments.AsNoTracking().Where(x => x.Status == Segments.SegmentStatus.Active).Select(x => new { x.Name, x.RuleJson }).ToListAsync(ct))
        {
            if (Segments.SegmentRuleJson.TryParse(segment.RuleJson, out var rule, out _) && rule is not null
                && Segments.SegmentDependencies.Of(rule).AttributeKeys.Contains(definition.Name))
            {
                users.Add($"segment \"{segment.Name}\"");
            }
        }
        foreach (var formula in await db.ComputedAttributeDefinitions.AsNoTracking()
            .Where(d => d.Id != definition.Id && d.Status == ComputedStatus.Active && d.Function == ComputedFunction.Expression)
            .Select(d => new { d.Name, d.Formula }).ToListAsync(ct))
        {
            if (Expressions.ExpressionFormula.NamesIn(formula.Formula).Contains(definition.Name))
            {
                users.Add($"expression attribute \"{formula.Name}\"");
            }
        }
        return users;
    }

    /// <summary>The refusal of a change made from <paramref name="expectedRevision"/> when the definition was saved since (null: it was not, or no revision was given).</summary>
    private static ComputedAttributeResult? Stale(ComputedAttributeDefinition stored, int? expectedRevision) =>
        expectedRevision is { } expected && stored.Revision != expected ? ComputedAttributeResult.Conflicted(new EditConflict(stored.UpdatedBy, stored.UpdatedAt)) : null;

    private static ComputedAttributeResult InUse(ComputedAttributeDefinition definition, List<string> users, string what) =>
        ComputedAttributeResult.Fail($"\"{definition.Name}\" is used by {string.Join(", ", users)}: {what}");

    /// <summary>What a definition computes (its name and description aside): a change makes a new version.</summary>
    private static (ComputedFunction, string, string?, string, string?, WindowUnit, int) Meaning(ComputedAttributeDefinition d) =>
        (d.Function, d.EventNamesJson, d.PropertyPath, d.ConditionsJson, d.Formula, d.WindowUnit, d.WindowSize);

    private static void Apply(ComputedAttributeDefinition d, ComputedAttributeDraft draft)
    {
        d.Name = draft.Name;
        d.Description = draft.Description;
        d.Function = draft.Function;
        d.EventNames = draft.EventNames;
        d.PropertyPath = draft.PropertyPath;
        d.Conditions = draft.Conditions;
        d.Formula = draft.Function == ComputedFunction.Expression ? draft.Formula : null;
        (d.WindowUnit, d.WindowSize) = (draft.Window.Unit, draft.Window.IsAllTime ? 0 : draft.Window.Size);
    }

    private static ComputedAttributeDraft Normalize(ComputedAttributeDraft draft) => draft with
    {
        Name = draft.Name?.Trim() ?? "",
        Description = string.IsNullOrWhiteSpace(draft.Description) ? null : draft.Description.Trim(),
        EventNames = (draft.EventNames ?? []).Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.Ordinal).ToList(),
        PropertyPath = string.IsNullOrWhiteSpace(draft.PropertyPath) ? null : draft.PropertyPath.Trim(),
        Formula = string.IsNullOrWhiteSpace(draft.Formula) ? null : draft.Formula.Trim(),
        Conditions = (draft.Conditions ?? []).Select(c => c with { Path = c.Path?.Trim() ?? "", Values = c.Values ?? [] }).ToList(),
        Window = draft.Window ?? LookbackWindow.AllTime,
    };

    /// <summary>The kinds each property path had in recent events of the draft's names (for the validator and the editor's pickers).</summary>
    public async Task<IReadOnlyDictionary<string, PropertyKinds>> ObservedKindsAsync(ComputedAttributeDraft draft, CancellationToken ct = default)
    {
        var paths = new[] { draft.PropertyPath }.Concat((draft.Conditions ?? []).Select(c => c.Path))
            .Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!.Trim()).Distinct().ToList();
        var names = (draft.EventNames ?? []).Where(n => !string.IsNullOrWhiteSpace(n)).ToList();
        if (paths.Count == 0 || names.Count == 0)
        {
            return new Dictionary<string, PropertyKinds>();
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var samples = await ComputedEventSamples.RecentPropertiesAsync(db, names, 2000, ct);
        var kinds = new Dictionary<string, PropertyKinds>();
        foreach (var json in samples)
        {
            foreach (var path in paths)
            {
                if (EventProperties.Find(json, path) is { } value)
                {
                    kinds[path] = kinds.GetValueOrDefault(path) | PropertyKindsExtensions.Of(value.ValueKind);
                }
            }
        }
        return kinds;
    }
}

/// <summary>The active definitions the live stage computes, published by the store whenever they change.</summary>
public sealed class ComputedDefinitionCatalog
{
    private volatile IReadOnlyList<ComputedAttributeSpec> _active = [];

    /// <summary>An immutable snapshot: a run reads it once.</summary>
    public IReadOnlyList<ComputedAttributeSpec> Active => _active;

    /// <summary>Raised after <see cref="Publish"/> (the backfill job wakes up).</summary>
    public event Action? Changed;

    public void Publish(IEnumerable<ComputedAttributeSpec> active)
    {
        _active = active.ToList();
        Changed?.Invoke();
    }
}
