using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.ComputedAttributes.Expressions;

/// <summary>An expression attribute's value on one profile, with the reason when it has none there.</summary>
public sealed record ExpressionValue(ComputedAttributeDefinition Definition, string? ValueJson, string? Error, DateTime ComputedAt);

/// <summary>
/// Expression attributes over stored data: the names a formula may read (profile attributes and
/// computed attributes), validation against them, values of one profile, and the preview.
/// </summary>
/// <remarks>
/// Values are computed when read, not stored: a formula is a pure function of the profile's attributes
/// and computed values, so evaluating it on read is always current (an input's change shows at once,
/// and <c>age(birthday)</c> moves with the clock without a job), and there is nothing to backfill.
/// Readers that need many profiles at once (segments) evaluate with the same <see cref="ExpressionEvaluator"/>;
/// <see cref="ExpressionFormula.Dependencies"/> is there for materializing values if that ever pays.
/// </remarks>
public sealed class ExpressionAttributes(
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    AttributeKeyCatalog attributeKeys,
    ProfileReader profiles,
    ComputedAttributeReader computed,
    TimeProvider time)
{
    /// <summary>How many profiles a preview evaluates (the most recently active).</summary>
    public const int PreviewProfiles = 500;

    /// <summary>
    /// The names a formula of the attribute <paramref name="editing"/> may read: every attribute key profiles
    /// have, and every other computed attribute, except expressions that (through others) read
    /// <paramref name="editing"/>, so no formula can depend on itself.
    /// </summary>
    public async Task<ExpressionSchema> SchemaAsync(string? editing, CancellationToken ct = default)
    {
        var keys = await attributeKeys.GetAsync(ct);
        var definitions = await DefinitionsAsync(ct);
        var reads = definitions.Where(d => d.Function == ComputedFunction.Expression)
            .ToDictionary(d => d.Name, d => ExpressionFormula.NamesIn(d.Formula), StringComparer.Ordinal);
        var inputs = keys.ProfilesByKey.Keys.Select(k => new ExpressionInput(k, ExpressionInputKind.Attribute, ExpressionValueType.Any)).ToList();
        var readingTheEdited = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in definitions)
        {
            if (string.Equals(d.Name, editing, StringComparison.Ordinal))
            {
                continue;
            }
            if (editing is not null && ReadsTransitively(d.Name, editing, reads))
            {
                readingTheEdited[d.Name] = editing;
                continue;
            }
            inputs.Add(new ExpressionInput(d.Name, ExpressionInputKind.Computed, TypeOf(d)));
        }
        return new ExpressionSchema(inputs) { ReadingTheEdited = readingTheEdited };
    }

    public async Task<ExpressionValidation> ValidateAsync(string? formula, string? editing, CancellationToken ct = default) =>
        ExpressionFormula.Parse(formula, await SchemaAsync(editing?.Trim(), ct));

    /// <summary>
    /// The values of the active expression attributes of a profile, given its aggregate values
    /// (<paramref name="aggregates"/>); an expression may read another, so they are evaluated in order.
    /// </summary>
    public async Task<IReadOnlyList<ExpressionValue>> ValuesOfProfileAsync(long profileId, IReadOnlyList<ComputedValue> aggregates, CancellationToken ct = default)
    {
        var expressions = (await DefinitionsAsync(ct)).Where(d => d.Function == ComputedFunction.Expression && d.Status == ComputedStatus.Active).ToList();
        if (expressions.Count == 0)
        {
            return [];
        }
        var inputs = await InputsAsync(profileId, aggregates, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var results = new List<ExpressionValue>();
        foreach (var definition in InDependencyOrder(expressions))
        {
            var outcome = Evaluate(definition.Formula, inputs, now);
            inputs[definition.Name] = outcome.Value;
            results.Add(new ExpressionValue(definition, ExpressionValues.ToJsonText(outcome.Value), outcome.Error, now));
        }
        return results.OrderBy(r => r.Definition.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>What a formula gives over the <see cref="PreviewProfiles"/> most recently active profiles (nothing stored).</summary>
    public async Task<ExpressionPreview> PreviewAsync(string? formula, string? editing, CancellationToken ct = default)
    {
        var validation = await ValidateAsync(formula, editing, ct);
        if (validation.Formula is not { } parsed)
        {
            return new ExpressionPreview(ComputedAttributeReader.Distribution([], false), [], validation.Problems);
        }
        List<long> ids;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            ids = await db.Profiles.AsNoTracking().Where(p => p.MergedIntoId == null)
                .OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Take(PreviewProfiles).Select(p => p.Id).ToListAsync(ct);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var values = new List<(long, string?)>();
        var errors = new List<(long ProfileId, string Error)>();
        var otherExpressions = (await DefinitionsAsync(ct))
            .Where(d => d.Function == ComputedFunction.Expression && d.Status == ComputedStatus.Active && d.Name != editing).ToList();
        foreach (var id in ids)
        {
            var aggregates = await computed.ValuesOfProfileAsync(id, ct);
            var inputs = await InputsAsync(id, aggregates, ct);
            foreach (var other in InDependencyOrder(otherExpressions))
            {
                inputs[other.Name] = Evaluate(other.Formula, inputs, now).Value;
            }
            var outcome = ExpressionEvaluator.Evaluate(parsed, n => inputs.GetValueOrDefault(n), now);
            values.Add((id, ExpressionValues.ToJsonText(outcome.Value)));
            if (outcome.Error is { } error && errors.Count < 10)
            {
                errors.Add((id, error));
            }
        }
        var numeric = parsed.ResultType == ExpressionValueType.Number;
        return new ExpressionPreview(ComputedAttributeReader.Distribution(values, numeric), errors, []);
    }

    private async Task<Dictionary<string, object?>> InputsAsync(long profileId, IReadOnlyList<ComputedValue> aggregates, CancellationToken ct)
    {
        var inputs = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (await profiles.PolicyAsync(null, ct) is { } policy && await profiles.TraitsAsync(profileId, policy, null, ct) is { } view)
        {
            foreach (var (key, value) in view.Values)
            {
                inputs[key] = ExpressionValues.FromJson(value);
            }
        }
        foreach (var value in aggregates)
        {
            inputs[value.Name] = ExpressionValues.FromJson(value.ValueJson);
        }
        return inputs;
    }

    private static ExpressionOutcome Evaluate(string? formula, Dictionary<string, object?> inputs, DateTime now)
    {
        // Checked when saved; the open schema only re-parses (names missing now simply read as empty).
        var validation = ExpressionFormula.Parse(formula, ExpressionSchema.Open);
        return validation.Formula is { } parsed
            ? ExpressionEvaluator.Evaluate(parsed, n => inputs.GetValueOrDefault(n), now)
            : new ExpressionOutcome(null, validation.Problems[0].ToString());
    }

    /// <summary>Expressions that read no other expression first; a cycle (refused when saved) is broken by name order.</summary>
    internal static IReadOnlyList<ComputedAttributeDefinition> InDependencyOrder(IReadOnlyList<ComputedAttributeDefinition> expressions)
    {
        var byName = expressions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var ordered = new List<ComputedAttributeDefinition>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        void Visit(ComputedAttributeDefinition d)
        {
            if (state.ContainsKey(d.Name))
            {
                return;
            }
            state[d.Name] = false;
            foreach (var name in ExpressionFormula.NamesIn(d.Formula))
            {
                if (byName.TryGetValue(name, out var input))
                {
                    Visit(input);
                }
            }
            state[d.Name] = true;
            ordered.Add(d);
        }
        foreach (var d in expressions.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            Visit(d);
        }
        return ordered;
    }

    private static bool ReadsTransitively(string from, string target, Dictionary<string, IReadOnlySet<string>> reads)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([from]);
        while (stack.TryPop(out var name))
        {
            if (!seen.Add(name) || !reads.TryGetValue(name, out var names))
            {
                continue;
            }
            if (names.Contains(target))
            {
                return true;
            }
            foreach (var next in names)
            {
                stack.Push(next);
            }
        }
        return false;
    }

    private static ExpressionValueType TypeOf(ComputedAttributeDefinition d) => d.Function switch
    {
        ComputedFunction.Count or ComputedFunction.Sum or ComputedFunction.Avg or ComputedFunction.Min or ComputedFunction.Max or ComputedFunction.CountDistinct => ExpressionValueType.Number,
        ComputedFunction.Distinct => ExpressionValueType.List,
        ComputedFunction.Expression => ExpressionFormula.Parse(d.Formula, ExpressionSchema.Open).Formula?.ResultType ?? ExpressionValueType.Any,
        _ => ExpressionValueType.Any,
    };

    private async Task<List<ComputedAttributeDefinition>> DefinitionsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ComputedAttributeDefinitions.AsNoTracking().ToListAsync(ct);
    }
}

/// <summary>A formula's preview: the distribution, up to ten profiles where it could not be evaluated (and why), or the formula's problems.</summary>
public sealed record ExpressionPreview(ComputedDistribution Distribution, IReadOnlyList<(long ProfileId, string Error)> Errors, IReadOnlyList<ExpressionProblem> Problems);
