using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Segments;

/// <summary>A segment as a person wants it saved (<see cref="RuleJson"/> in <see cref="SegmentRuleJson"/>'s format).</summary>
public sealed record SegmentDraft(
    string Name,
    string? Description,
    string RuleJson,
    SegmentEvaluationMode Evaluation = SegmentEvaluationMode.Streaming,
    int BatchIntervalHours = 24);

/// <summary>
/// The outcome of a change: the saved segment, or the problems (nothing saved). A problem about the whole
/// segment (name, JSON, a missing segment) has an empty <see cref="SegmentRuleProblem.NodeId"/>; a problem of
/// the rule names its node, so the builder shows it inline. <see cref="Conflict"/>: the change was refused because
/// someone saved the segment after the editor loaded it (its one problem says who and when).
/// </summary>
public sealed record SegmentResult(bool Succeeded, IReadOnlyList<SegmentRuleProblem> Problems, Segment? Segment = null, EditConflict? Conflict = null)
{
    public static SegmentResult Fail(string message) => new(false, [new SegmentRuleProblem("", message)]);

    public static SegmentResult Conflicted(EditConflict conflict) => new(false, [new SegmentRuleProblem("", conflict.Describe("this segment"))], Conflict: conflict);
}

public enum SegmentEvaluationState
{
    /// <summary>Draft or disabled.</summary>
    NotEvaluated,

    /// <summary>A full evaluation is asked for; the job has not started it.</summary>
    Waiting,

    Running,

    /// <summary>The last full evaluation finished (<see cref="SegmentEvaluationProgress.LastEvaluatedAt"/>).</summary>
    Done,

    /// <summary>The last attempt failed (<see cref="SegmentEvaluationProgress.Error"/>); the job tries again.</summary>
    Failed,
}

/// <summary>How far a full evaluation got (for a progress bar).</summary>
public sealed record SegmentEvaluationProgress(SegmentEvaluationState State, long Processed, long Total, DateTime? StartedAt, DateTime? LastEvaluatedAt, string? Error)
{
    public double Fraction => State == SegmentEvaluationState.Done ? 1 : Total <= 0 ? 0 : Math.Clamp((double)Processed / Total, 0, 1);

    public static SegmentEvaluationProgress Of(Segment s)
    {
        if (s.Status != SegmentStatus.Active)
        {
            return new(SegmentEvaluationState.NotEvaluated, 0, 0, null, s.LastEvaluatedAt, null);
        }
        if (s.EvaluationError is { } error)
        {
            return new(SegmentEvaluationState.Failed, s.EvaluationProcessed, s.EvaluationTotal, s.EvaluationStartedAt, s.LastEvaluatedAt, error);
        }
        if (s.EvaluationStartedAt is { } started)
        {
            return new(SegmentEvaluationState.Running, s.EvaluationProcessed, s.EvaluationTotal, started, s.LastEvaluatedAt, null);
        }
        if (s.EvaluationRequestedAt is not null)
        {
            return new(SegmentEvaluationState.Waiting, 0, 0, null, s.LastEvaluatedAt, null);
        }
        return new(SegmentEvaluationState.Done, s.EvaluationTotal, s.EvaluationTotal, null, s.LastEvaluatedAt, null);
    }
}

/// <summary>A segment with its parsed rule, its sentence, every saved version (newest first) and its evaluation progress.</summary>
/// <param name="Warnings">What the rule does not do as it seems to (<see cref="SegmentRuleValidator.Warnings"/>), at its nodes.</param>
public sealed record SegmentDetails(
    Segment Segment, SegmentRule? Rule, string Sentence, IReadOnlyList<SegmentVersion> Versions, SegmentEvaluationProgress Progress,
    IReadOnlyList<SegmentRuleProblem> Warnings);

/// <summary>One identifier of a member, for the members table.</summary>
public sealed record SegmentMemberIdentity(string Namespace, string Value);

public sealed record SegmentMember(long ProfileId, DateTime Since, IReadOnlyList<SegmentMemberIdentity> Identities);

public sealed record SegmentMembersPage(IReadOnlyList<SegmentMember> Members, long Total);

/// <summary>A segment a profile is in, since when.</summary>
public sealed record ProfileSegmentMembership(long SegmentId, string Name, DateTime Since);

/// <summary>A segment's size at the end of a UTC day, and that day's entries and exits.</summary>
public sealed record SegmentSizePoint(DateTime Day, long Size, long Entered, long Exited);

/// <summary>
/// Entries into and exits from a segment in a recent period, as the size chart's bars count them: a person who left and
/// came back counts twice, so the size now is the size then plus entries minus exits (counting people once said +247 −247
/// beside a segment of 247 that had been emptied and filled again, under a bar of 494 entries).
/// </summary>
public sealed record SegmentRecentChanges(long Entered, long Exited, DateTime Since);

/// <summary>Shared members between two segments (<see cref="A"/> = <see cref="B"/>: the segment's own size).</summary>
public sealed record SegmentOverlapCell(long A, long B, long Shared);

/// <summary>
/// The segments as stored. Every change is checked (the rule's per-node problems, references to segments that
/// exist, no reference cycles among stored segments) and audited. Activating a segment, or saving an edit of an
/// active one (a new version), asks for a full evaluation (the batch job); disabling removes
/// its members with their exits recorded. An active segment may not take up a reference to a draft or disabled
/// segment (activating it, or saving one with a new such reference, is refused until the other is active). The active segments are published to <see cref="SegmentCatalog"/>,
/// which streaming evaluation reads. Who may edit is enforced by the UI / API layer (<see cref="EditorRoles"/>).
/// A change made from what an editor loaded carries its <see cref="Segment.Revision"/>, and is refused (<see cref="SegmentResult.Conflict"/>)
/// when someone saved the segment since: the second of two people editing at once would otherwise undo the first one's change.
/// </summary>
public sealed class SegmentStore(
    IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time, SegmentCatalog catalog, SegmentMembershipWriter writer)
{
    /// <summary>Roles that create, edit, activate, disable, delete and evaluate segments; other roles read.</summary>
    public static IReadOnlyList<string> EditorRoles { get; } = [Roles.Admin, Roles.Marketer];

    /// <summary>The most segments <see cref="OverlapAsync"/> compares at once.</summary>
    public const int MaxOverlapSegments = 10;

    public const int MaxPageSize = 500;

    // One writer at a time: the name and cycle checks and the write that relies on them stay together.
    private readonly SemaphoreSlim _writes = new(1, 1);

    /// <summary>Every segment, by name, with its member count.</summary>
    public async Task<IReadOnlyList<Segment>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Segments.AsNoTracking().ToListAsync(ct);
        return all.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>A segment with its rule, sentence, versions and evaluation progress (null: no such segment).</summary>
    public async Task<SegmentDetails?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Segments.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
        {
            return null;
        }
        var versions = await db.SegmentVersions.AsNoTracking().Where(v => v.SegmentId == id).OrderByDescending(v => v.Version).ToListAsync(ct);
        SegmentRuleJson.TryParse(segment.RuleJson, out var rule, out _);
        var targets = await TargetsAsync(db, ct);
        var sentence = rule is null ? "" : SegmentSentence.Describe(rule, id => targets.TryGetValue(id, out var t) ? t.Name : null);
        var warnings = rule is null ? [] : SegmentRuleValidator.Warnings(rule, id => targets.TryGetValue(id, out var t) ? t : null);
        return new(segment, rule, sentence, versions, SegmentEvaluationProgress.Of(segment), warnings);
    }

    public async Task<Segment?> FindByNameAsync(string name, CancellationToken ct = default)
    {
        var all = await ListAsync(ct);
        return all.FirstOrDefault(s => string.Equals(s.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Segment id → name, for sentences and explanations ("is in High value").</summary>
    public async Task<IReadOnlyDictionary<long, string>> NamesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await NamesAsync(db, ct);
    }

    /// <summary>
    /// The problems of a draft (empty: it can be saved): name, description and interval, the rule's JSON, its
    /// per-node problems, references to segments that do not exist, and reference cycles through stored segments.
    /// <paramref name="id"/>: the segment being edited (null for a new one).
    /// </summary>
    public async Task<IReadOnlyList<SegmentRuleProblem>> ValidateAsync(SegmentDraft draft, long? id = null, CancellationToken ct = default)
    {
        draft = Normalize(draft);
        var problems = new List<SegmentRuleProblem>();
        if (draft.Name.Length == 0)
        {
            problems.Add(new("", "Give the segment a name."));
        }
        else if (draft.Name.Length > Segment.MaxNameLength)
        {
            problems.Add(new("", $"The name is longer than {Segment.MaxNameLength} characters."));
        }
        else if (SegmentKeys.Of(draft.Name).Length == 0)
        {
            problems.Add(new("", "The name needs at least one letter or digit: it becomes the audience key, the trait name "
                + "the segment's members have in the Profile API (\"Recent buyers (30 days)\" → recent_buyers_30_days)."));
        }
        if (draft.Description?.Length > Segment.MaxDescriptionLength)
        {
            problems.Add(new("", $"The description is longer than {Segment.MaxDescriptionLength} characters."));
        }
        if (!Enum.IsDefined(draft.Evaluation))
        {
            problems.Add(new("", "Evaluation is streaming or batch."));
        }
        if (draft.Evaluation == SegmentEvaluationMode.Batch && draft.BatchIntervalHours is < Segment.MinBatchIntervalHours or > Segment.MaxBatchIntervalHours)
        {
            problems.Add(new("", $"A batch segment is evaluated every {Segment.MinBatchIntervalHours} to {Segment.MaxBatchIntervalHours} hours."));
        }
        if (!SegmentRuleJson.TryParse(draft.RuleJson, out var rule, out var error))
        {
            problems.Add(new("", error!));
            return problems;
        }
        problems.AddRange(SegmentRuleValidator.Validate(rule!));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Segments.AsNoTracking().Select(s => new { s.Id, s.Name, s.RuleJson }).ToListAsync(ct);
        var names = stored.ToDictionary(s => s.Id, s => s.Name);
        foreach (var reference in SegmentRuleWalk.Nodes(rule!.Root).OfType<SegmentCondition>())
        {
            if (!names.ContainsKey(reference.SegmentId))
            {
                problems.Add(new(reference.Id, $"There is no segment {reference.SegmentId}."));
            }
        }
        // Expression attributes are evaluated when a profile is read (the profile page, the API), never stored: no path
        // that evaluates segments over many profiles has their values, and a condition on one matched nobody, silently.
        var expressions = (await db.ComputedAttributeDefinitions.AsNoTracking()
            .Where(d => d.Function == ComputedAttributes.ComputedFunction.Expression).Select(d => d.Name).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        foreach (var condition in SegmentRuleWalk.Nodes(rule.Root).OfType<AttributeCondition>().Where(c => expressions.Contains(c.Path)))
        {
            problems.Add(new(condition.Id, $"\"{condition.Path}\" is an expression attribute, computed only when a profile is shown: a segment cannot read it. "
                + "Use a condition on the attributes its formula reads."));
        }
        if (draft.Name.Length > 0 && stored.FirstOrDefault(s => string.Equals(s.Name, draft.Name, StringComparison.OrdinalIgnoreCase)) is { } same && same.Id != id)
        {
            problems.Add(new("", $"A segment named \"{same.Name}\" exists already."));
        }
        // The key is the audience trait's name in the Profile API: two segments with one key would show as one trait.
        else if (SegmentKeys.Of(draft.Name) is { Length: > 0 } key
            && stored.Where(s => s.Id != id).OrderBy(s => s.Id).FirstOrDefault(s => SegmentKeys.Of(s.Name) == key) is { } sameKey)
        {
            problems.Add(new("", $"The name gives the audience key {key}, which the segment \"{sameKey.Name}\" has already "
                + "(the key keeps only letters and digits, in lower case): choose a name that differs in a letter or digit."));
        }
        if (id is { } self && problems.Count == 0)
        {
            var others = new Dictionary<long, SegmentRule>();
            foreach (var s in stored.Where(s => s.Id != self))
            {
                if (SegmentRuleJson.TryParse(s.RuleJson, out var r, out _))
                {
                    others[s.Id] = r!;
                }
            }
            if (SegmentCycles.Check(self, rule, others, names.GetValueOrDefault) is { } cycle)
            {
                problems.Add(cycle);
            }
        }
        return problems;
    }

    /// <summary>Saves a new segment as a draft (version 1): not evaluated until it is activated.</summary>
    public async Task<SegmentResult> CreateAsync(AuditActor actor, SegmentDraft draft, CancellationToken ct = default)
    {
        draft = Normalize(draft);
        await _writes.WaitAsync(ct);
        try
        {
            if (await ValidateAsync(draft, null, ct) is { Count: > 0 } problems)
            {
                return new(false, problems);
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = Now;
            var segment = new Segment
            {
                Status = SegmentStatus.Draft,
                Version = 1,
                CreatedAt = now,
                CreatedBy = actor.Name,
                UpdatedAt = now,
                UpdatedBy = actor.Name,
            };
            Apply(segment, draft);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.Segments.Add(segment);
            await db.SaveChangesAsync(ct);
            db.SegmentVersions.Add(new SegmentVersion { SegmentId = segment.Id, Version = 1, RuleJson = segment.RuleJson, SavedAt = now, SavedBy = actor.Name });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, AuditActions.SegmentCreated, segment.Name, $"{await SentenceAsync(segment, ct)}; draft, version 1", ct);
            return new(true, [], segment);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Saves an edit: a new version when the rule changed (the old one stays in the history). An active segment
    /// is evaluated afresh over all profiles; its members stay meanwhile, so nobody leaves and re-enters for nothing.
    /// <paramref name="expectedRevision"/>: the <see cref="Segment.Revision"/> the editor loaded; the edit is refused if another
    /// change was saved since (null: not checked, for callers that showed nobody the segment).
    /// </summary>
    public async Task<SegmentResult> UpdateAsync(AuditActor actor, long id, SegmentDraft draft, int? expectedRevision = null, CancellationToken ct = default)
    {
        draft = Normalize(draft);
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.Segments.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is not { } loaded)
            {
                return SegmentResult.Fail($"There is no segment {id}.");
            }
            // Before the draft's problems: after a reload there may be none, or others.
            if (Stale(loaded, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (await ValidateAsync(draft, id, ct) is { Count: > 0 } problems)
            {
                return new(false, problems);
            }
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Read again in the transaction: the checks above and the write are one step for this database, not only for this process.
            if (await db.Segments.FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
            {
                return SegmentResult.Fail($"There is no segment {id}.");
            }
            if (Stale(segment, expectedRevision) is { } changed)
            {
                return changed;
            }
            if (segment.Status == SegmentStatus.Active)
            {
                // References the saved version has already are kept (the other segment was disabled since, after a
                // confirmation naming this one); a new one to a segment nobody is in is refused as activation refuses it.
                var kept = SegmentRuleJson.TryParse(segment.RuleJson, out var before, out _) ? SegmentDependencies.Of(before!).SegmentIds : new HashSet<long>();
                if (await InactiveReferencesAsync(db, draft.Name, SegmentRuleJson.Parse(draft.RuleJson), kept, ct) is { Count: > 0 } inactive)
                {
                    return new(false, inactive);
                }
            }
            var now = Now;
            var rule = SegmentRuleJson.Serialize(SegmentRuleJson.Parse(draft.RuleJson));
            var ruleChanged = rule != segment.RuleJson;
            var modeChanged = draft.Evaluation != segment.Evaluation || draft.BatchIntervalHours != segment.BatchIntervalHours;
            Apply(segment, draft);
            (segment.UpdatedAt, segment.UpdatedBy) = (now, actor.Name);
            segment.Revision++;
            if (ruleChanged)
            {
                segment.Version++;
                db.SegmentVersions.Add(new SegmentVersion { SegmentId = id, Version = segment.Version, RuleJson = segment.RuleJson, SavedAt = now, SavedBy = actor.Name });
            }
            if (segment.Status == SegmentStatus.Active && (ruleChanged || modeChanged))
            {
                RequestEvaluation(segment, now);
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, AuditActions.SegmentUpdated, segment.Name,
                $"{await SentenceAsync(segment, ct)}; version {segment.Version}{(ruleChanged ? "" : " (rule unchanged)")}", ct);
            await RefreshCatalogAsync(ct);
            return new(true, [], segment);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Makes a draft or disabled segment active and asks for its full evaluation (members appear when it ran); refused while
    /// its rule refers to a segment that is not active.
    /// <paramref name="expectedRevision"/>: as for <see cref="UpdateAsync"/> (what is activated is what the person saw).
    /// </summary>
    public async Task<SegmentResult> ActivateAsync(AuditActor actor, long id, int? expectedRevision = null, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (await db.Segments.FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
            {
                return SegmentResult.Fail($"There is no segment {id}.");
            }
            if (Stale(segment, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (segment.Status == SegmentStatus.Active)
            {
                return new(true, [], segment);
            }
            if (await ValidateAsync(Draft(segment), id, ct) is { Count: > 0 } problems)
            {
                return new(false, problems);
            }
            if (await InactiveReferencesAsync(db, segment.Name, SegmentRuleJson.Parse(segment.RuleJson), new HashSet<long>(), ct) is { Count: > 0 } inactive)
            {
                return new(false, inactive);
            }
            var now = Now;
            segment.Status = SegmentStatus.Active;
            (segment.UpdatedAt, segment.UpdatedBy) = (now, actor.Name);
            segment.Revision++;
            RequestEvaluation(segment, now);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            await audit.RecordAsync(actor, AuditActions.SegmentActivated, segment.Name, $"version {segment.Version}, {segment.Evaluation.ToString().ToLowerInvariant()}", ct);
            await RefreshCatalogAsync(ct);
            return new(true, [], segment);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Stops evaluating a segment: its members are removed (their exits recorded) and it keeps no clock checks.
    /// <paramref name="expectedRevision"/>: as for <see cref="UpdateAsync"/>.
    /// </summary>
    public async Task<SegmentResult> DisableAsync(AuditActor actor, long id, int? expectedRevision = null, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (await db.Segments.FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
            {
                return SegmentResult.Fail($"There is no segment {id}.");
            }
            if (Stale(segment, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (segment.Status != SegmentStatus.Active)
            {
                return new(true, [], segment);
            }
            var now = Now;
            segment.Status = SegmentStatus.Disabled;
            (segment.UpdatedAt, segment.UpdatedBy) = (now, actor.Name);
            segment.Revision++;
            (segment.EvaluationRequestedAt, segment.EvaluationStartedAt, segment.EvaluationError) = (null, null, null);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            // Unpublished first, so streaming evaluation does not add members back while they are removed.
            await RefreshCatalogAsync(ct);
            var exited = await writer.RemoveAllAsync(id, now, ct);
            await audit.RecordAsync(actor, AuditActions.SegmentDisabled, segment.Name, $"{exited:N0} members removed", ct);
            segment.MemberCount = 0;
            return new(true, [], segment);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Why segment <paramref name="id"/> cannot be deleted now (the segments that refer to it), or null: the segment page asks
    /// before its confirmation, so the dialog never promises a deletion that is then refused.
    /// </summary>
    public async Task<string?> DeleteBlockedAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Segments.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is { } segment ? UsedBy(segment, await ReferrersAsync(db, id, ct)) : null;
    }

    private static string? UsedBy(Segment segment, IReadOnlyList<Segment> referrers) => referrers.Count == 0 ? null
        : $"\"{segment.Name}\" is used by {string.Join(", ", referrers.Select(r => $"\"{r.Name}\""))}: change those first.";

    /// <summary>The segments whose rule refers to segment <paramref name="id"/> ("is in" / "is not in" it), by name.</summary>
    public async Task<IReadOnlyList<Segment>> ReferrersAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ReferrersAsync(db, id, ct);
    }

    private static async Task<IReadOnlyList<Segment>> ReferrersAsync(ProfileStudioDbContext db, long id, CancellationToken ct)
    {
        var referrers = new List<Segment>();
        foreach (var other in await db.Segments.AsNoTracking().Where(s => s.Id != id).ToListAsync(ct))
        {
            if (SegmentRuleJson.TryParse(other.RuleJson, out var r, out _) && SegmentDependencies.Of(r!).SegmentIds.Contains(id))
            {
                referrers.Add(other);
            }
        }
        return [.. referrers.OrderBy(s => s.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    /// <summary>
    /// Deletes a draft or disabled segment and its history (an active one must be disabled first; one that others refer to stays).
    /// <paramref name="expectedRevision"/>: as for <see cref="UpdateAsync"/> (what is deleted is what the person saw: someone's
    /// edit saved since is not deleted unseen).
    /// </summary>
    public async Task<SegmentResult> DeleteAsync(AuditActor actor, long id, int? expectedRevision = null, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await db.Segments.FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
            {
                return SegmentResult.Fail($"There is no segment {id}.");
            }
            if (Stale(segment, expectedRevision) is { } stale)
            {
                return stale;
            }
            if (segment.Status == SegmentStatus.Active)
            {
                return SegmentResult.Fail($"\"{segment.Name}\" is active: disable it before deleting it.");
            }
            if (UsedBy(segment, await ReferrersAsync(db, id, ct)) is { } used)
            {
                return SegmentResult.Fail(used);
            }
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlAsync($"DELETE FROM SegmentVersions WHERE SegmentId = {id}", ct);
            db.Segments.Remove(segment);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            // Its history and sizes are in the segments' file: gone after the segment, so a failure here leaves rows no page shows.
            await writer.ForgetAsync(id, ct);
            await audit.RecordAsync(actor, AuditActions.SegmentDeleted, segment.Name, $"version {segment.Version}", ct);
            return new(true, [], segment);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Asks for a full evaluation of an active segment now (the batch job runs it with progress).</summary>
    public async Task<SegmentResult> EvaluateNowAsync(AuditActor actor, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Segments.FirstOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
        {
            return SegmentResult.Fail($"There is no segment {id}.");
        }
        if (segment.Status != SegmentStatus.Active)
        {
            return SegmentResult.Fail($"\"{segment.Name}\" is not active: activate it to evaluate it.");
        }
        RequestEvaluation(segment, Now);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.SegmentEvaluationRequested, segment.Name, $"version {segment.Version}", ct);
        EvaluationRequested?.Invoke();
        return new(true, [], segment);
    }

    /// <summary>Raised when a full evaluation is asked for (the batch job wakes up).</summary>
    public event Action? EvaluationRequested;

    /// <summary>Wakes the batch job after a full evaluation was asked for elsewhere (a rebuild).</summary>
    public void RaiseEvaluationRequested() => EvaluationRequested?.Invoke();

    /// <summary>
    /// Members in profile-id order, <paramref name="take"/> at a time, with up to 3 identifiers each.
    /// <paramref name="search"/>: only members with an identifier containing it (any namespace).
    /// </summary>
    /// <param name="rules">The identity rules: a search that reads as a phone number or an e-mail address also finds the identifier
    /// it normalizes to in each such namespace (07738 713582 finds +447738713582), as the explorer's search does.</param>
    public async Task<SegmentMembersPage> MembersAsync(long id, string? search, int skip, int take, IdentityRules? rules = null, CancellationToken ct = default)
    {
        take = Math.Clamp(take, 1, MaxPageSize);
        skip = Math.Max(0, skip);
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var members = db.SegmentMemberships.AsNoTracking().Where(m => m.SegmentId == id);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var text = search.Trim();
            var normalized = rules is null ? [] : IdentifierShapes.CandidateNamespaces(text, rules)
                .Where(r => r.Normalization is Normalization.Phone or Normalization.Email)
                .Select(r => IdentityNormalizer.Normalize(r, text).Value).OfType<string>().Where(v => v.Length > 0).Distinct().ToList();
            members = members.Where(m => db.Identities.Any(i => i.ProfileId == m.ProfileId
                && (EF.Functions.Like(i.Value, "%" + Escape(text) + "%", "\\") || normalized.Contains(i.Value))));
        }
        var total = await members.LongCountAsync(ct);
        var page = await members.OrderBy(m => m.ProfileId).Skip(skip).Take(take).ToListAsync(ct);
        var ids = page.Select(m => m.ProfileId).ToList();
        var identities = await db.Identities.AsNoTracking().Where(i => ids.Contains(i.ProfileId))
            .Select(i => new { i.ProfileId, i.Namespace, i.Value, i.LastSeenAt }).ToListAsync(ct);
        var byProfile = identities.GroupBy(i => i.ProfileId).ToDictionary(g => g.Key,
            g => (IReadOnlyList<SegmentMemberIdentity>)g.OrderByDescending(i => i.LastSeenAt).Take(3).Select(i => new SegmentMemberIdentity(i.Namespace, i.Value)).ToList());
        return new(page.Select(m => new SegmentMember(m.ProfileId, m.Since, byProfile.GetValueOrDefault(m.ProfileId) ?? [])).ToList(), total);
    }

    /// <summary>The segments a profile is currently in, by name, with since when.</summary>
    public async Task<IReadOnlyList<ProfileSegmentMembership>> MembershipsOfProfileAsync(long profileId, CancellationToken ct = default)
    {
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var rows = await (
            from m in db.SegmentMemberships.AsNoTracking()
            join s in db.Segments.AsNoTracking() on m.SegmentId equals s.Id
            where m.ProfileId == profileId && s.Status == SegmentStatus.Active
            select new ProfileSegmentMembership(s.Id, s.Name, m.Since)).ToListAsync(ct);
        return rows.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The segment's size at the end of each of the last <paramref name="days"/> UTC days that had a change, oldest first.</summary>
    public async Task<IReadOnlyList<SegmentSizePoint>> SizeHistoryAsync(long id, int days = 90, CancellationToken ct = default)
    {
        var from = DateTime.SpecifyKind(Now.Date.AddDays(-Math.Clamp(days, 1, 3660)), DateTimeKind.Utc);
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        return await db.SegmentDailySizes.AsNoTracking().Where(d => d.SegmentId == id && d.Day > from).OrderBy(d => d.Day)
            .Select(d => new SegmentSizePoint(d.Day, d.Size, d.Entered, d.Exited)).ToListAsync(ct);
    }

    /// <summary>How many people entered and exited the segment in the last <paramref name="hours"/> hours (default 24).</summary>
    public async Task<SegmentRecentChanges> RecentChangesAsync(long id, int hours = 24, CancellationToken ct = default)
    {
        var since = Now.AddHours(-Math.Clamp(hours, 1, 24 * 90));
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var counts = await db.SegmentMembershipChanges.AsNoTracking().Where(c => c.SegmentId == id && c.At >= since)
            .GroupBy(c => c.Kind).Select(g => new { Kind = g.Key, Profiles = g.LongCount() }).ToListAsync(ct);
        return new(counts.FirstOrDefault(c => c.Kind == SegmentMembershipChangeKind.Realized)?.Profiles ?? 0,
            counts.FirstOrDefault(c => c.Kind == SegmentMembershipChangeKind.Exited)?.Profiles ?? 0, since);
    }

    /// <summary>
    /// Shared members of every pair of up to <see cref="MaxOverlapSegments"/> segments (a segment with itself:
    /// its size). Unknown ids count 0.
    /// </summary>
    public async Task<IReadOnlyList<SegmentOverlapCell>> OverlapAsync(IReadOnlyCollection<long> segmentIds, CancellationToken ct = default)
    {
        var ids = segmentIds.Distinct().ToList();
        if (ids.Count > MaxOverlapSegments)
        {
            throw new ArgumentException($"Overlap compares at most {MaxOverlapSegments} segments.", nameof(segmentIds));
        }
        await using var db = await SqliteConsumerTables.CreateContextAsync(dbFactory, ct);
        var cells = new List<SegmentOverlapCell>();
        for (var i = 0; i < ids.Count; i++)
        {
            for (var j = i; j < ids.Count; j++)
            {
                var (a, b) = (ids[i], ids[j]);
                var shared = a == b
                    ? await db.SegmentMemberships.LongCountAsync(m => m.SegmentId == a, ct)
                    : await db.SegmentMemberships.Where(m => m.SegmentId == a)
                        .LongCountAsync(m => db.SegmentMemberships.Any(o => o.SegmentId == b && o.ProfileId == m.ProfileId), ct);
                cells.Add(new(a, b, shared));
                if (a != b)
                {
                    cells.Add(new(b, a, shared));
                }
            }
        }
        return cells;
    }

    /// <summary>Publishes the active segments to streaming evaluation.</summary>
    public async Task RefreshCatalogAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var active = await db.Segments.AsNoTracking().Where(s => s.Status == SegmentStatus.Active).ToListAsync(ct);
        var parsed = new List<ActiveSegment>();
        foreach (var s in active)
        {
            // A stored rule that no longer reads (a later format) is skipped rather than stopping every segment.
            if (SegmentRuleJson.TryParse(s.RuleJson, out var rule, out _))
            {
                parsed.Add(new ActiveSegment(s.Id, s.Name, s.Version, s.Evaluation, rule!, SegmentDependencies.Of(rule!)));
            }
        }
        catalog.Publish(parsed);
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private void RequestEvaluation(Segment segment, DateTime now)
    {
        segment.EvaluationRequestedAt = now;
        segment.EvaluationError = null;
        EvaluationRequested?.Invoke();
    }

    private async Task<string> SentenceAsync(Segment segment, CancellationToken ct)
    {
        var names = await NamesAsync(ct);
        return SegmentRuleJson.TryParse(segment.RuleJson, out var rule, out _) ? SegmentSentence.Describe(rule!, names.GetValueOrDefault) : "";
    }

    private static async Task<IReadOnlyDictionary<long, string>> NamesAsync(ProfileStudioDbContext db, CancellationToken ct) =>
        await db.Segments.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);

    private static async Task<Dictionary<long, (string Name, SegmentStatus Status)>> TargetsAsync(ProfileStudioDbContext db, CancellationToken ct) =>
        (await db.Segments.AsNoTracking().Select(s => new { s.Id, s.Name, s.Status }).ToListAsync(ct)).ToDictionary(s => s.Id, s => (s.Name, s.Status));

    /// <summary>
    /// Why an active segment named <paramref name="name"/> cannot have <paramref name="rule"/>: its conditions on draft or
    /// disabled segments (other than those in <paramref name="kept"/>). Nobody is in such a segment, so "are in" it would match
    /// nobody and "are not in" it everybody, written as memberships and sent out as audiences; the other one is activated first.
    /// </summary>
    private static async Task<List<SegmentRuleProblem>> InactiveReferencesAsync(
        ProfileStudioDbContext db, string name, SegmentRule rule, IReadOnlySet<long> kept, CancellationToken ct)
    {
        var targets = await TargetsAsync(db, ct);
        var problems = new List<SegmentRuleProblem>();
        var named = new HashSet<long>();
        foreach (var reference in SegmentRuleWalk.Nodes(rule.Root).OfType<SegmentCondition>().Where(c => !kept.Contains(c.SegmentId)))
        {
            if (targets.TryGetValue(reference.SegmentId, out var target) && SegmentRuleValidator.NobodyIn(target.Status) is { } why && named.Add(reference.SegmentId))
            {
                problems.Add(new("", $"\"{name}\" refers to \"{target.Name}\", which is {(target.Status == SegmentStatus.Draft ? "a " : "")}{why}, so the condition "
                    + $"\"are {(reference.IsIn ? "" : "not ")}in {target.Name}\" would match {(reference.IsIn ? "nobody" : "everybody")}. Activate \"{target.Name}\" first."));
            }
        }
        return problems;
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>The refusal of a change made from <paramref name="expectedRevision"/> when the segment was saved since (null: it was not, or no revision was given).</summary>
    private static SegmentResult? Stale(Segment stored, int? expectedRevision) =>
        expectedRevision is { } expected && stored.Revision != expected ? SegmentResult.Conflicted(new EditConflict(stored.UpdatedBy, stored.UpdatedAt)) : null;

    private static SegmentDraft Draft(Segment s) => new(s.Name, s.Description, s.RuleJson, s.Evaluation, s.BatchIntervalHours);

    private static void Apply(Segment segment, SegmentDraft draft)
    {
        segment.Name = draft.Name;
        segment.Description = draft.Description;
        // Stored in the stable form, so versions compare as text.
        segment.RuleJson = SegmentRuleJson.Serialize(SegmentRuleJson.Parse(draft.RuleJson));
        segment.Evaluation = draft.Evaluation;
        segment.BatchIntervalHours = draft.BatchIntervalHours;
    }

    private static SegmentDraft Normalize(SegmentDraft draft) => draft with
    {
        Name = draft.Name?.Trim() ?? "",
        Description = string.IsNullOrWhiteSpace(draft.Description) ? null : draft.Description.Trim(),
        RuleJson = draft.RuleJson ?? "",
    };
}
