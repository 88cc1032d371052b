using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Identity;

public sealed record InsightFilter(string? Kind = null, string? Namespace = null, DateTime? FromUtc = null, DateTime? ToUtc = null, long? ProfileId = null);

public sealed record ProfileGraph(Profile Profile, IReadOnlyList<IdentityRecord> Identities, IReadOnlyList<IdentityLink> Links, IReadOnlyDictionary<int, string> SourceNames);

/// <summary>Reads the identity graph for the studio: a profile's identities and links, the messages that carried one, and the insights log.</summary>
public sealed class IdentityReader(IDbContextFactory<ProfileStudioDbContext> dbFactory, IProfileLookupStore lookup, IdentityRulesStore rulesStore)
{
    public async Task<(IReadOnlyList<IdentityInsight> Items, int Total)> InsightsAsync(InsightFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.IdentityInsights.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Kind))
        {
            query = query.Where(i => i.Kind == filter.Kind);
        }
        if (!string.IsNullOrWhiteSpace(filter.Namespace))
        {
            query = query.Where(i => i.Namespace == filter.Namespace);
        }
        if (filter.FromUtc is { } from)
        {
            query = query.Where(i => i.At >= from);
        }
        if (filter.ToUtc is { } to)
        {
            query = query.Where(i => i.At < to);
        }
        if (filter.ProfileId is { } profile)
        {
            query = query.Where(i => i.ProfileId == profile || i.OtherProfileId == profile);
        }
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(i => i.Id).Skip(skip).Take(take).ToListAsync(ct);
        return (items, total);
    }

    /// <summary>The event times of lake messages (insights record when a message was received; people ask when it happened).</summary>
    public async Task<IReadOnlyDictionary<long, DateTime>> EventTimesAsync(IReadOnlyCollection<long> messageIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RawMessages.AsNoTracking().Where(m => messageIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.EventAt, ct);
    }

    public async Task<IReadOnlyDictionary<string, int>> InsightCountsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IdentityInsights.AsNoTracking().GroupBy(i => i.Kind).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }

    public async Task<ProfileGraph?> GraphAsync(long profileId, CancellationToken ct = default)
    {
        var id = await lookup.CanonicalAsync(profileId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (id is null || await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) is not { } profile)
        {
            return null;
        }
        var identities = await db.Identities.AsNoTracking().Where(i => i.ProfileId == id).OrderBy(i => i.Namespace).ThenBy(i => i.Value).ToListAsync(ct);
        var identityIds = identities.Select(i => i.Id).ToList();
        var links = await db.IdentityLinks.AsNoTracking().Where(l => identityIds.Contains(l.FromIdentityId) && identityIds.Contains(l.ToIdentityId)).ToListAsync(ct);
        var sources = await db.Sources.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        return new ProfileGraph(profile, identities, links, sources);
    }

    /// <summary>Lake messages read at a time while looking for an identifier's messages.</summary>
    private const int ScanChunk = 2_000;

    /// <summary>
    /// Candidates a page read parses at most, as a count does (<see cref="DefaultCountParsed"/>): a phone number in one message in a
    /// thousand of a long range has every message of it as a candidate, and 20 of its messages span 20,000 of them.
    /// </summary>
    internal const int DefaultPageParsed = DefaultCountParsed;

    /// <summary>Candidates a page read parses at most (tests lower it).</summary>
    internal int PageParsed { get; set; } = DefaultPageParsed;

    /// <summary>
    /// The lake messages that carried an identifier, newest first, <paramref name="take"/> at a time (the graph view's click-through):
    /// the first page, or the one below the message <paramref name="before"/>. <see cref="IdentityMessagePage.Before"/> is where the
    /// next page starts when this one is full (older messages may or may not remain: <see cref="CountMessagesWithAsync"/> says, up to its bounds),
    /// or when the read stopped after <see cref="PageParsed"/> candidates with fewer (<see cref="IdentityMessagePage.StoppedAfter"/>):
    /// about a second at most (8 µs a parsed candidate), where a phone number rare in a long range took seconds a page.
    /// </summary>
    public async Task<IdentityMessagePage> MessagesWithAsync(IdentityRecord identity, long? before, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = await rulesStore.LoadAsync(ct);
        var key = new IdentityKey(identity.Namespace, identity.Value);
        var found = new List<RawMessage>(take);
        var parsed = 0;
        var upper = Math.Min(before is { } b ? b - 1 : long.MaxValue, identity.LastMessageId);
        while (upper >= identity.FirstMessageId)
        {
            if (parsed == PageParsed)
            {
                return new IdentityMessagePage(found, upper + 1, StoppedAfter: parsed); // the next page reads on below the last one parsed
            }
            var chunkSize = Math.Min(ScanChunk, PageParsed - parsed);
            var chunk = await Candidates(db, identity, rules, identity.FirstMessageId, upper).Take(chunkSize).ToListAsync(ct);
            foreach (var message in chunk.Where(m => Profiles.ProfileReader.Carries(m.Payload, key, rules)))
            {
                found.Add(message);
                if (found.Count == take)
                {
                    return new IdentityMessagePage(found, message.Id);
                }
            }
            if (chunk.Count < chunkSize)
            {
                break;
            }
            parsed += chunk.Count;
            upper = chunk[^1].Id - 1;
        }
        return new IdentityMessagePage(found, null);
    }

    /// <summary>Matches past which a count stops: "more than 10,000" tells a bot or a shared device's id apart as well as the number would.</summary>
    internal const int DefaultCountCap = 10_000;

    /// <summary>
    /// Lake messages of a range a count reads through at most, newest first: SQLite's pre-filter passes over them at about 1 µs each
    /// (a user id in a thousand of a million 350-byte payloads: 1.1 s on 2 cores).
    /// </summary>
    internal const long DefaultCountSpan = 1_000_000;

    /// <summary>
    /// Candidates a count parses at most: every message of a phone number's range is one (no pre-filter), at about 8 µs each
    /// (100,000 in 1.1 s on 2 cores).
    /// </summary>
    internal const int DefaultCountParsed = 100_000;

    /// <summary>Matches past which a count stops (tests lower it).</summary>
    internal int CountCap { get; set; } = DefaultCountCap;

    /// <summary>Lake messages of a range a count reads through at most (tests lower it).</summary>
    internal long CountSpan { get; set; } = DefaultCountSpan;

    /// <summary>Candidates a count parses at most (tests lower it).</summary>
    internal int CountParsed { get; set; } = DefaultCountParsed;

    /// <summary>
    /// How many lake messages carried an identifier: the accepted messages of its first..last range that hold it, read newest first as
    /// <see cref="MessagesWithAsync"/> reads them (ids and payloads only). A bot's or a shared device's id is in millions of messages,
    /// and a long range costs as much to read with few of them, so the count stops at whichever comes first of more than
    /// <see cref="CountCap"/> matches, <see cref="CountSpan"/> messages of the range and <see cref="CountParsed"/> candidates
    /// parsed: a few seconds at most. Pages ask for it after showing the first messages, and give up when they close.
    /// </summary>
    public async Task<IdentityMessageCount> CountMessagesWithAsync(IdentityRecord identity, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rules = await rulesStore.LoadAsync(ct);
        var key = new IdentityKey(identity.Namespace, identity.Value);
        var lower = Math.Max(identity.FirstMessageId, identity.LastMessageId - CountSpan + 1);
        var (count, parsed, upper) = (0, 0, identity.LastMessageId);
        while (upper >= lower && parsed < CountParsed)
        {
            var take = Math.Min(ScanChunk, CountParsed - parsed);
            var chunk = await Candidates(db, identity, rules, lower, upper).Select(m => new { m.Id, m.Payload }).Take(take).ToListAsync(ct);
            foreach (var message in chunk)
            {
                if (Profiles.ProfileReader.Carries(message.Payload, key, rules) && ++count > CountCap)
                {
                    return new IdentityMessageCount(CountCap, Complete: false, MoreThan: true);
                }
            }
            parsed += chunk.Count;
            upper = chunk.Count < take ? lower - 1 : chunk[^1].Id - 1; // read down to the bound, or on below the chunk
        }
        return new IdentityMessageCount(count, Complete: upper < identity.FirstMessageId);
    }

    /// <summary>
    /// The accepted messages of the identifier's range from <paramref name="floor"/> up to <paramref name="upper"/>, newest first, that
    /// may hold it. Every message that carried it lies in its first..last range and holds its raw value in the payload, stored as System.Text.Json
    /// writes it: a kept value (a user id) as written, so its stored text is a filter SQLite applies without reading the payload
    /// into .NET; an e-mail in any case, so compared in lower case (ASCII, as SQLite's lower() folds). A phone number may be written
    /// in any format: every message of the range is a candidate. The candidates are then read as the engine reads them.
    /// </summary>
    private static IQueryable<RawMessage> Candidates(ProfileStudioDbContext db, IdentityRecord identity, IdentityRules rules, long floor, long upper)
    {
        var value = identity.Value;
        var messages = db.RawMessages.AsNoTracking().Where(m => m.Id >= floor && m.Id <= upper && m.Status == MessageStatus.Accepted);
        // The tracking API stores payloads with the default encoder (+ as \u002B, ü as \u00FC); a CSV row's payload keeps such
        // characters as they are (relaxed escaping): a message may hold either spelling.
        var stored = System.Text.Json.JsonEncodedText.Encode(value).ToString();
        var relaxed = System.Text.Json.JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();
        switch (rules.Find(identity.Namespace)?.Normalization)
        {
            case Normalization.Trim when value.Length > 0:
                messages = messages.Where(m => m.Payload.Contains(stored) || m.Payload.Contains(relaxed));
                break;
            case Normalization.Email when value.Length > 0 && value.All(char.IsAscii):
                var (lower, lowerRelaxed) = (stored.ToLowerInvariant(), relaxed.ToLowerInvariant());
                messages = messages.Where(m => m.Payload.ToLower().Contains(lower) || m.Payload.ToLower().Contains(lowerRelaxed));
                break;
        }
        return messages.OrderByDescending(m => m.Id);
    }
}

/// <summary>
/// A page of the lake messages that carried an identifier, newest first, and the message the next page starts below: null when the
/// identifier's messages were read to the end. <see cref="StoppedAfter"/> is how many candidates the read parsed when it stopped at its
/// bound with fewer messages than asked (none, maybe): older ones may remain below <see cref="Before"/>.
/// </summary>
public sealed record IdentityMessagePage(IReadOnlyList<RawMessage> Messages, long? Before, int? StoppedAfter = null);

/// <summary>
/// How many lake messages carried an identifier, as far as the count went: <see cref="Found"/> exactly when it read the identifier's
/// range to its first message (<see cref="Complete"/>); more than <see cref="Found"/> when it stopped at its cap of matches
/// (<see cref="MoreThan"/>); else at least <see cref="Found"/>, its oldest messages not read.
/// </summary>
public sealed record IdentityMessageCount(int Found, bool Complete, bool MoreThan = false);
