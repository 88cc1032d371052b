using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Profiles;

public enum ProfileSort
{
    LastActivityNewest = 1,
    LastActivityOldest = 2,
    CreatedNewest = 3,
    CreatedOldest = 4,
}

/// <summary>One row of the explorer's list.</summary>
/// <summary>One row of the explorer's list; <see cref="HasActivity"/> is false for a person with no timeline event (their last activity is unknown).</summary>
public sealed record ProfileSummary(long Id, string? DisplayName, string? PrimaryIdentity, IReadOnlyList<string> Sources, int Identities, DateTime CreatedAt, DateTime LastActivityAt, bool HasActivity = true);

/// <summary>
/// A page of the explorer's list; when a search found nobody, <see cref="Problem"/> says why and <see cref="DidYouMean"/> lists the
/// identifiers that differ from the one searched only in letter case (in namespaces that keep the case, such as user ids).
/// </summary>
public sealed record ProfileDirectoryPage(IReadOnlyList<ProfileSummary> Items, int Total, string? Problem, IReadOnlyList<IdentifierSuggestion>? DidYouMean = null);

/// <summary>An identifier close to one searched for (the same but for letter case), and the profile it belongs to.</summary>
public sealed record IdentifierSuggestion(string Namespace, string Value, long ProfileId)
{
    public override string ToString() => $"{Namespace}:{Value}";
}

public enum IdentifierSort
{
    ValueAscending = 1,
    ValueDescending = 2,
    FirstSeenNewest = 3,
    FirstSeenOldest = 4,
}

/// <summary>One identifier as a profile of its own (a merge policy without stitching), with the person it belongs to now.</summary>
public sealed record IdentifierSummary(string Namespace, string Value, long ProfileId, string? PersonName, string Source, DateTime FirstSeenAt, DateTime LastSeenAt);

public sealed record IdentifierDirectoryPage(IReadOnlyList<IdentifierSummary> Items, int Total);

/// <summary>
/// The explorer's list of profiles: a count, a sorted page, and search by <c>namespace:value</c> (exact,
/// normalized like ingestion, through <see cref="ProfileReader.FindAsync"/>), by a bare identifier in every
/// namespace its shape fits (<see cref="IdentifierShapes"/>: a pasted phone number, e-mail address or
/// anonymous id), by profile id, or by the start of an email address or a name. Display names come from the default policy's name traits.
/// </summary>
public sealed class ProfileDirectory(IDbContextFactory<ProfileStudioDbContext> dbFactory, ProfileReader reader, MergePolicyStore policies, IdentityRulesStore rulesStore)
{
    /// <summary>The traits a display name is made of.</summary>
    private static readonly string[] NameKeys = ["name", "firstName", "lastName", "first_name", "last_name"];

    public const int MaxPrefixMatches = 1000;

    /// <summary>U+10FFFF: after every value that starts with a prefix, when appended to it.</summary>
    private const string LastCodePoint = "\U0010FFFF";

    public Task<ProfileDirectoryPage> PageAsync(string? search, ProfileSort sort, int skip, int take, CancellationToken ct = default) =>
        PageAsync(search, sort, skip, take, [], [], ct);

    /// <summary>
    /// The segments a page is filtered by, of those asked: each once, and as many as the dashboard's overlap combines
    /// (a hand-made link with hundreds would nest a subquery for each). The explorer names the same ones.
    /// </summary>
    public static IReadOnlyList<long> SegmentsFiltered(IEnumerable<long> asked) =>
        asked.Distinct().Take(Segments.SegmentStore.MaxOverlapSegments).ToList();

    /// <summary>
    /// A page of profiles; with <paramref name="havingNamespaces"/>, only those with an identity in every one of them
    /// (the dashboard's "profiles by identity" and "identity overlap" click through to this); with <paramref name="inSegments"/>,
    /// only the members of every one of them (the dashboard's audiences and their overlap).
    /// </summary>
    public async Task<ProfileDirectoryPage> PageAsync(string? search, ProfileSort sort, int skip, int take, IReadOnlyList<string> havingNamespaces, IReadOnlyList<long> inSegments, CancellationToken ct = default)
    {
        // Memberships are in the segments' file (attached only when a segment filters the page).
        await using var db = inSegments.Count > 0
            ? await Storage.Sqlite.SqliteConsumerTables.CreateContextAsync(dbFactory, ct)
            : await dbFactory.CreateDbContextAsync(ct);
        var profiles = db.Profiles.AsNoTracking().Where(p => p.MergedIntoId == null);
        foreach (var ns in havingNamespaces.Distinct(StringComparer.Ordinal))
        {
            profiles = profiles.Where(p => db.Identities.Any(i => i.ProfileId == p.Id && i.Namespace == ns));
        }
        foreach (var segment in SegmentsFiltered(inSegments))
        {
            profiles = profiles.Where(p => db.SegmentMemberships.Any(m => m.ProfileId == p.Id && m.SegmentId == segment));
        }
        var text = search?.Trim() ?? "";
        if (text.Length > 0)
        {
            var (ids, problem, didYouMean) = await MatchesAsync(db, text, ct);
            if (problem is not null || ids.Count == 0)
            {
                return new ProfileDirectoryPage([], 0, problem, didYouMean);
            }
            profiles = profiles.Where(p => ids.Contains(p.Id));
        }
        var total = await profiles.CountAsync(ct);
        var page = sort switch
        {
            ProfileSort.CreatedNewest => await profiles.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Skip(skip).Take(take).ToListAsync(ct),
            ProfileSort.CreatedOldest => await profiles.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Skip(skip).Take(take).ToListAsync(ct),
            _ => await ByLastActivityAsync(profiles, newestFirst: sort != ProfileSort.LastActivityOldest, skip, take, ct),
        };
        var pageIds = page.Select(p => p.Id).ToList();
        var identities = await db.Identities.AsNoTracking().Where(i => pageIds.Contains(i.ProfileId))
            .Select(i => new { i.ProfileId, i.SourceId, i.Namespace, i.Value }).ToListAsync(ct);
        var rules = await rulesStore.LoadAsync(ct);
        var attributeSources = await db.ProfileAttributes.AsNoTracking().Where(a => pageIds.Contains(a.ProfileId))
            .Select(a => new { a.ProfileId, a.SourceId }).Distinct().ToListAsync(ct);
        var sourceNames = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        var names = await DisplayNamesAsync(db, pageIds, sourceNames, ct);

        var items = new List<ProfileSummary>(page.Count);
        foreach (var p in page)
        {
            // The page's identities are loaded once above; no query per row.
            var primary = rules.InPriorityOrder(identities.Where(i => i.ProfileId == p.Id), i => i.Namespace, i => i.Value).FirstOrDefault();
            var name = names.GetValueOrDefault(p.Id);
            var sources = identities.Where(i => i.ProfileId == p.Id).Select(i => i.SourceId)
                .Concat(attributeSources.Where(a => a.ProfileId == p.Id).Select(a => a.SourceId))
                .Distinct().Select(id => sourceNames.GetValueOrDefault(id, $"source {id}")).Order(StringComparer.OrdinalIgnoreCase).ToList();
            items.Add(new ProfileSummary(p.Id, name, primary is null ? null : $"{primary.Namespace}:{primary.Value}", sources,
                identities.Count(i => i.ProfileId == p.Id), p.CreatedAt, p.LastActivityAt ?? p.CreatedAt, p.LastActivityAt is not null));
        }
        return new ProfileDirectoryPage(items, total, null);
    }

    /// <summary>A profile as lists name it: "Ada Lovelace #12" with a name from <see cref="DisplayNamesAsync(IReadOnlyCollection{long}, CancellationToken)"/>, else "#12".</summary>
    public static string Label(IReadOnlyDictionary<long, string> names, long profileId) =>
        names.TryGetValue(profileId, out var name) ? $"{name} #{profileId}" : $"#{profileId}";

    /// <summary>The display names (the explorer's Name column) of those of <paramref name="profileIds"/> that have one.</summary>
    public async Task<IReadOnlyDictionary<long, string>> DisplayNamesAsync(IReadOnlyCollection<long> profileIds, CancellationToken ct = default)
    {
        if (profileIds.Count == 0)
        {
            return new Dictionary<long, string>();
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sourceNames = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        return await DisplayNamesAsync(db, profileIds.Distinct().ToList(), sourceNames, ct);
    }

    /// <summary>
    /// The display names of the profiles that have one, from the name traits as the default policy merges them, stitched
    /// (a policy without stitching reads one identity's data; for a list, the stitched view names the person).
    /// </summary>
    private async Task<Dictionary<long, string>> DisplayNamesAsync(ProfileStudioDbContext db, List<long> profileIds, Dictionary<int, string> sourceNames, CancellationToken ct)
    {
        var nameFragments = await db.ProfileAttributes.AsNoTracking().Where(a => profileIds.Contains(a.ProfileId) && NameKeys.Contains(a.Key)).ToListAsync(ct);
        var defaultPolicy = await policies.GetDefaultAsync(ct);
        var evaluator = new MergePolicyEvaluator(new MergePolicy
        {
            Name = defaultPolicy.Name, Stitching = IdentityStitching.Graph, AttributeMerge = defaultPolicy.AttributeMerge,
            SourcePrecedence = defaultPolicy.SourcePrecedence, Overrides = defaultPolicy.Overrides,
        }, sourceNames);
        var names = new Dictionary<long, string>();
        foreach (var fragments in nameFragments.GroupBy(a => a.ProfileId))
        {
            if (ProfileExplorerReader.DisplayName(evaluator.Evaluate(fragments.ToList())) is { } name)
            {
                names[fragments.Key] = name;
            }
        }
        return names;
    }

    /// <summary>
    /// A page of identifiers, each a profile of its own as a merge policy without stitching counts them (the dashboard's
    /// "profiles by identity" under such a policy clicks through to this): those of <paramref name="namespaces"/> (an
    /// identifier has one namespace, so two or more match none), whose value starts with <paramref name="search"/> when
    /// one is given. Each names the person it belongs to now.
    /// </summary>
    public async Task<IdentifierDirectoryPage> IdentifiersAsync(string? search, IdentifierSort sort, int skip, int take, IReadOnlyList<string> namespaces, CancellationToken ct = default)
    {
        var distinct = namespaces.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 1)
        {
            return new IdentifierDirectoryPage([], 0);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var identifiers = db.Identities.AsNoTracking();
        if (distinct.Count == 1)
        {
            var ns = distinct[0];
            identifiers = identifiers.Where(i => i.Namespace == ns);
        }
        var text = search?.Trim() ?? "";
        if (text.Length > 0)
        {
            // Ranges on the (Namespace, Value) index: the start as typed, and in lower case as ingestion lower-cases e-mails (every
            // letter, É as E). The upper bound is the last code point, so values going on with any character (an emoji too) are in range.
            var lower = text.ToLowerInvariant();
            var (end, lowerEnd) = (text + LastCodePoint, lower + LastCodePoint);
            identifiers = identifiers.Where(i => (string.Compare(i.Value, text) >= 0 && string.Compare(i.Value, end) < 0)
                || (string.Compare(i.Value, lower) >= 0 && string.Compare(i.Value, lowerEnd) < 0));
        }
        var total = await identifiers.CountAsync(ct);
        var page = await (sort switch
        {
            // By namespace, then value: the (Namespace, Value) index serves it, with or without a namespace.
            IdentifierSort.ValueDescending => identifiers.OrderByDescending(i => i.Namespace).ThenByDescending(i => i.Value),
            IdentifierSort.FirstSeenNewest => identifiers.OrderByDescending(i => i.FirstSeenAt).ThenByDescending(i => i.Id),
            IdentifierSort.FirstSeenOldest => identifiers.OrderBy(i => i.FirstSeenAt).ThenBy(i => i.Id),
            _ => identifiers.OrderBy(i => i.Namespace).ThenBy(i => i.Value),
        }).Skip(skip).Take(take).ToListAsync(ct);
        var sourceNames = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        var names = await DisplayNamesAsync(db, page.Select(i => i.ProfileId).Distinct().ToList(), sourceNames, ct);
        return new IdentifierDirectoryPage(
            page.Select(i => new IdentifierSummary(i.Namespace, i.Value, i.ProfileId, names.GetValueOrDefault(i.ProfileId),
                sourceNames.GetValueOrDefault(i.SourceId, $"source {i.SourceId}"), i.FirstSeenAt, i.LastSeenAt)).ToList(),
            total);
    }

    /// <summary>
    /// People with activity by their last activity, then those without any (whose last activity is unknown) by first
    /// seen, in either direction: two range scans of the (LastActivityAt, CreatedAt) index, the rowid as the last tie-break.
    /// The people with activity are counted only when a page starts past them.
    /// </summary>
    private static async Task<List<Profile>> ByLastActivityAsync(IQueryable<Profile> profiles, bool newestFirst, int skip, int take, CancellationToken ct)
    {
        var active = profiles.Where(p => p.LastActivityAt != null);
        var inactive = profiles.Where(p => p.LastActivityAt == null);
        var page = await (newestFirst
                ? active.OrderByDescending(p => p.LastActivityAt).ThenByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id)
                : active.OrderBy(p => p.LastActivityAt).ThenBy(p => p.CreatedAt).ThenBy(p => p.Id))
            .Skip(skip).Take(take).ToListAsync(ct);
        if (page.Count == take)
        {
            return page;
        }
        var activeCount = page.Count > 0 || skip == 0 ? skip + page.Count : await active.CountAsync(ct);
        var rest = await (newestFirst
                ? inactive.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id)
                : inactive.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id))
            .Skip(Math.Max(0, skip - activeCount)).Take(take - page.Count).ToListAsync(ct);
        page.AddRange(rest);
        return page;
    }

    private static string AsciiLower(string text) => string.Create(text.Length, text, (span, t) =>
    {
        for (var i = 0; i < t.Length; i++)
        {
            span[i] = t[i] is >= 'A' and <= 'Z' ? (char)(t[i] + 32) : t[i];
        }
    });

    /// <summary>The profiles a search names: one for an identifier or id, up to <see cref="MaxPrefixMatches"/> for a prefix.</summary>
    private async Task<(IReadOnlyList<long> Ids, string? Problem, IReadOnlyList<IdentifierSuggestion>? DidYouMean)> MatchesAsync(
        ProfileStudioDbContext db, string text, CancellationToken ct)
    {
        var rules = await rulesStore.LoadAsync(ct);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var ns = colon > 0 ? text[..colon].Trim() : null;
        if (ns is not null && (ns == "profile_id" || rules.Find(ns) is not null))
        {
            var lookup = await reader.FindAsync(text, ct);
            if (lookup.Found)
            {
                return ([lookup.ProfileId], null, null);
            }
            if (lookup.Failure != ProfileLookupFailure.NotFound)
            {
                return ([], lookup.Problem, null);
            }
            // E-mails are lower-cased at ingestion and in the lookup, so their capitals never matter; other namespaces keep
            // the case they were sent in (user ids may differ only by it), so an exact miss offers the spellings that exist.
            var value = text[(colon + 1)..].Trim();
            var others = rules.Find(ns) is { Normalization: Normalization.Trim } ? await CaseVariantsAsync(db, ns, value, ct) : [];
            return others.Count == 0
                ? ([], "No profile has this identifier.", null)
                : ([], $"No profile has exactly {ns}:{value}: capital letters count in {ns}.", others);
        }
        // A bare identifier: tried in every namespace its shape fits (and as a profile id when it is a whole
        // number), each normalized by its namespace as ingestion does; one index seek each.
        var found = new HashSet<long>();
        // "#2423" is how pages show a profile id (the chip beside a name): typed or pasted that way it is the id.
        var wholeNumber = long.TryParse(text.StartsWith('#') ? text[1..] : text, NumberStyles.None, CultureInfo.InvariantCulture, out var profileId);
        if (wholeNumber && await reader.CanonicalAsync(profileId, ct) is { } live)
        {
            found.Add(live);
        }
        foreach (var rule in IdentifierShapes.CandidateNamespaces(text, rules))
        {
            if (await reader.FindAsync($"{rule.Name}:{text}", ct) is { Found: true } match)
            {
                found.Add(match.ProfileId);
            }
        }
        if (found.Count > 0 && (wholeNumber || IdentifierShapes.IsPhone(text)))
        {
            return (found.ToList(), null, null);
        }
        if (found.Count == 0 && ns is not null && !text.Any(char.IsWhiteSpace))
        {
            // Neither an identifier of any namespace nor one with a namespace we know: say which there are.
            return ([], (await reader.FindAsync(text, ct)).Problem, null);
        }
        if (found.Count == 0 && (wholeNumber || IdentifierShapes.IsPhone(text)))
        {
            return ([], "No profile has this identifier (looked for as a profile id, a phone number and an id of every namespace).", null);
        }
        if (text.Length < 2 && found.Count == 0)
        {
            return ([], "Type at least two letters of a name or an email address, or namespace:value.", null);
        }
        // Range scans on indexes (no INDEXED BY: after a rebuild's swap the index keeps its shadow name until the next start): e-mails are stored lower-cased as
        // ingestion lower-cases them (the (Namespace, Value) index); names through the partial index on lower(ValueJson) for the name keys,
        // once per spelling of the letters SQLite's lower() does not fold (NameSpellings: "émile" is looked for as "émile" and "Émile").
        var prefix = text.ToLowerInvariant();
        var byEmail = await db.Identities.AsNoTracking()
            .Where(i => i.Namespace == "email" && string.Compare(i.Value, prefix) >= 0 && string.Compare(i.Value, prefix + char.MaxValue) < 0)
            .Select(i => i.ProfileId).Distinct().Take(MaxPrefixMatches).ToListAsync(ct);
        var byName = new List<long>();
        foreach (var spelling in NameSpellings(text, MaxNameSpellings))
        {
            // Stored as the engine writes JSON (non-ASCII escaped as \u00C9…), so the prefix is written the same way.
            var quoted = AsciiLower(System.Text.Json.Nodes.JsonValue.Create(spelling).ToJsonString()[..^1]);
            byName.AddRange(await db.Database.SqlQuery<long>($"""
                SELECT DISTINCT ProfileId AS Value FROM ProfileAttributes
                WHERE Key IN ('name', 'firstName', 'lastName', 'first_name', 'last_name', 'email')
                  AND lower(ValueJson) >= {quoted} AND lower(ValueJson) < {quoted + char.MaxValue}
                LIMIT {MaxPrefixMatches}
                """).ToListAsync(ct));
            if (byName.Count >= MaxPrefixMatches)
            {
                break;
            }
        }
        var byFullName = await FullNameMatchesAsync(db, text, ct);
        // An identifier's own profile first, then the people whose name or e-mail starts so.
        var ids = found.Concat(byEmail).Concat(byName).Concat(byFullName).Distinct().ToList();
        if (ids.Count > 0)
        {
            return (ids, null, null);
        }
        // Nobody at all: an identifier typed in other capitals than it was sent in (U-ADA for u-ada) is offered.
        var didYouMean = new List<IdentifierSuggestion>();
        foreach (var rule in IdentifierShapes.CandidateNamespaces(text, rules).Where(r => r.Normalization == Normalization.Trim))
        {
            didYouMean.AddRange(await CaseVariantsAsync(db, rule.Name, text, ct));
        }
        return didYouMean.Count == 0
            ? (ids, null, null)
            : (ids, $"No profile has exactly “{text}”: capital letters count in identifiers such as user ids.", didYouMean);
    }

    /// <summary>Most spellings a "did you mean" offers per namespace.</summary>
    private const int MaxCaseVariants = 5;

    /// <summary>Most prefixes the walk for them keeps (each costs SQLite two index seeks at most).</summary>
    private const int MaxCaseSteps = 100;

    /// <summary>Most spellings of a name's non-ASCII letters a search looks for (each a range scan of the name index).</summary>
    private const int MaxNameSpellings = 16;

    /// <summary>
    /// <paramref name="text"/> with each letter that has two cases and that SQLite's lower() does not fold (every non-ASCII one: É, Ø, Ж)
    /// in both, the others as typed: "émile" gives "émile" and "Émile". A lower-cased stored name (lower(ValueJson) folds its ASCII
    /// letters) starts with the lower-cased JSON of one of them whenever it starts with <paramref name="text"/> in any capitals. At most
    /// <paramref name="max"/> spellings: letters past the ones that fill them stay as typed. Characters outside the basic plane (a
    /// surrogate pair) stay as typed.
    /// </summary>
    internal static IReadOnlyList<string> NameSpellings(string text, int max)
    {
        var spellings = new List<string> { text };
        for (var at = 0; at < text.Length; at++)
        {
            var c = text[at];
            if (char.IsAscii(c) || char.IsSurrogate(c) || char.ToLowerInvariant(c) == char.ToUpperInvariant(c))
            {
                continue;
            }
            // As typed too: a title-case letter (ǅ) is neither its lower nor its upper case.
            var forms = new[] { c, char.ToLowerInvariant(c), char.ToUpperInvariant(c) }.Distinct().ToArray();
            if (spellings.Count * forms.Length > max)
            {
                break;
            }
            spellings = spellings.SelectMany(s => forms.Select(form => Spelled(s, at, form))).ToList();
        }
        return spellings;

        static string Spelled(string s, int at, char letter) => string.Create(s.Length, (s, at, letter), (span, x) =>
        {
            x.s.AsSpan().CopyTo(span);
            span[x.at] = x.letter;
        });
    }

    /// <summary>A letter with two cases (ASCII or not; a surrogate half is none): the walk for other spellings tries it in both.</summary>
    private static bool HasCases(char c) => !char.IsSurrogate(c) && char.ToLowerInvariant(c) != char.ToUpperInvariant(c);

    /// <summary>
    /// The identifiers of <paramref name="ns"/> that are <paramref name="value"/> in other capitals (every letter with two cases: U-JOSÉ
    /// for u-josé). It walks the value letter by letter down the (Namespace, Value) index, each letter in both cases, keeping only the
    /// spellings some stored value starts with (one range seek each): the cost grows with the value's length, not with the table,
    /// and no index on lower(Value) is needed on the table unification writes most. The walk is one recursive statement: a seek
    /// costs SQLite microseconds, a statement of its own a round trip (a 20-letter value's walk is some 80 seeks).
    /// </summary>
    private static async Task<IReadOnlyList<IdentifierSuggestion>> CaseVariantsAsync(ProfileStudioDbContext db, string ns, string value, CancellationToken ct)
    {
        if (!value.Any(HasCases))
        {
            return [];
        }
        var found = await db.Identities.FromSql(CaseVariantsQuery(ns, value)).AsNoTracking().ToListAsync(ct);
        return found.Select(i => new IdentifierSuggestion(i.Namespace, i.Value, i.ProfileId)).ToList();
    }

    /// <summary>The statement of <see cref="CaseVariantsAsync"/> (its plan is tested).</summary>
    internal static FormattableString CaseVariantsQuery(string ns, string value)
    {
        // The walk's steps: each letter, with what comes between it and the letter before, in both cases; then what follows the last.
        var (parts, start, step) = (new List<object[]>(), 0, 0);
        for (var letter = 0; letter < value.Length; letter++)
        {
            if (HasCases(value[letter]))
            {
                var between = value[start..letter];
                parts.Add([step, between + char.ToLowerInvariant(value[letter])]);
                parts.Add([step, between + char.ToUpperInvariant(value[letter])]);
                (start, step) = (letter + 1, step + 1);
            }
        }
        if (start < value.Length)
        {
            parts.Add([step++, value[start..]]);
        }
        var steps = System.Text.Json.JsonSerializer.Serialize(parts);
        // Depth first (ORDER BY the step, descending): in a namespace full of spellings of the value, whole ones are reached before
        // the bound stops the walk.
        return $"""
            WITH RECURSIVE
                part(step, text) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each({steps})),
                spelling(text, step) AS (
                    SELECT '', 0
                    UNION ALL
                    SELECT s.text || p.text, s.step + 1 FROM spelling s JOIN part p ON p.step = s.step
                    WHERE EXISTS (SELECT 1 FROM Identities i WHERE i.Namespace = {ns}
                        AND i.Value >= s.text || p.text AND i.Value < s.text || p.text || {LastCodePoint})
                    ORDER BY 2 DESC
                    LIMIT {MaxCaseSteps})
            SELECT * FROM Identities
            WHERE Namespace = {ns} AND Value IN (SELECT text FROM spelling WHERE step = {step}) AND Value <> {value}
            ORDER BY Value
            LIMIT {MaxCaseVariants}
            """;
    }

    /// <summary>
    /// The people whose first and last name traits read together as <paramref name="text"/>: "Ada Lovelace" and "ada love" (the first
    /// name whole, then the start of the last name, as the display name puts them together), or the last name first ("Lovelace, Ada").
    /// A name trait holding the whole name is matched by the prefix search already. The text is split at each space (a first name may
    /// have two words); each split costs an equality seek on the name index and, for each person found, a look at their other name
    /// traits by the primary key: nothing reads every profile. A text with non-ASCII letters is looked for in each of its
    /// <see cref="NameSpellings"/> (up to <see cref="MaxFullNameSpellings"/>), as the prefix search does.
    /// </summary>
    private static async Task<List<long>> FullNameMatchesAsync(ProfileStudioDbContext db, string text, CancellationToken ct)
    {
        var found = new List<long>();
        foreach (var spelling in NameSpellings(text, MaxFullNameSpellings))
        {
            var words = spelling.Replace(',', ' ').Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is < 2 or > MaxFullNameWords)
            {
                return [];
            }
            for (var split = 1; split < words.Length && found.Count < MaxPrefixMatches; split++)
            {
                var (head, rest) = (string.Join(' ', words[..split]), string.Join(' ', words[split..]));
                found.AddRange(await db.Database.SqlQuery<long>(FullNameQuery(FirstNameKeys, head, LastNameKeys, rest)).ToListAsync(ct));
                found.AddRange(await db.Database.SqlQuery<long>(FullNameQuery(LastNameKeys, head, FirstNameKeys, rest)).ToListAsync(ct));
            }
        }
        return found.Distinct().Take(MaxPrefixMatches).ToList();
    }

    /// <summary>Fewer than a prefix's spellings: each costs two statements per split of the words.</summary>
    private const int MaxFullNameSpellings = 4;

    private const int MaxFullNameWords = 6;
    private static readonly string[] FirstNameKeys = ["firstName", "first_name"];
    private static readonly string[] LastNameKeys = ["lastName", "last_name"];

    /// <summary>
    /// The profiles with a <paramref name="wholeKeys"/> trait equal to <paramref name="whole"/> and a <paramref name="startKeys"/> trait
    /// starting with <paramref name="start"/>, the case of ASCII letters ignored (SQLite's lower(); <see cref="NameSpellings"/> gives the
    /// others in both cases). The first condition repeats the partial name index's key list,
    /// so SQLite uses that index (it matches a partial index's condition by its terms, as written).
    /// </summary>
    internal static FormattableString FullNameQuery(string[] wholeKeys, string whole, string[] startKeys, string start)
    {
        // Stored as the engine writes JSON (non-ASCII escaped as \u00C9…), so the names are written the same way.
        var exact = AsciiLower(System.Text.Json.Nodes.JsonValue.Create(whole).ToJsonString());
        var prefix = AsciiLower(System.Text.Json.Nodes.JsonValue.Create(start).ToJsonString()[..^1]);
        return $"""
            SELECT DISTINCT a.ProfileId AS Value FROM ProfileAttributes a
            WHERE a.Key IN ('name', 'firstName', 'lastName', 'first_name', 'last_name', 'email')
              AND lower(a.ValueJson) = {exact} AND a.Key IN ({wholeKeys[0]}, {wholeKeys[1]})
              AND EXISTS (SELECT 1 FROM ProfileAttributes b
                          WHERE b.ProfileId = a.ProfileId AND b.Key IN ({startKeys[0]}, {startKeys[1]})
                            AND lower(b.ValueJson) >= {prefix} AND lower(b.ValueJson) < {prefix + char.MaxValue})
            LIMIT {MaxPrefixMatches}
            """;
    }
}
