using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;
using static ProfileStudio.Tests.Segments.SegmentPathsAgreePropertyTests;

namespace ProfileStudio.Tests.Segments;

/// <summary>
/// The columnar index selects exactly the profiles the one-profile evaluator matches on their track events (random
/// profiles, page and screen views among their events, written to a real migrated database and read back by the index's
/// loader, random rule trees), and an index kept current from change-feed rows equals one loaded from scratch.
/// </summary>
public sealed class SegmentIndexPropertyTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;
    private readonly DbFactory _dbFactory;

    public SegmentIndexPropertyTests()
    {
        _dbFactory = new DbFactory(_directory.ConnectionString);
        using (var db = _dbFactory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
        SegmentIndex.CompactAbove = 0; // compact as soon as half of a name's events are garbage, so compaction is exercised
    }

    public void Dispose()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property IndexAndEvaluator_AnyProfilesAndRule_SelectTheSameProfiles() => Prop.ForAll(Cases, c =>
    {
        Store(_connection, c.Profiles);
        var memberships = Memberships(c.Profiles);
        var expected = Expected(c.Profiles, c.Rule);
        using var db = _dbFactory.CreateDbContext();
        var index = SegmentIndexLoader.LoadAllAsync(db, Now, default).GetAwaiter().GetResult();
        var actual = index.MatchingIds(c.Rule, Now, memberships);
        var (count, samples) = index.Estimate(c.Rule, Now, memberships, 2);
        // The per-profile loader (the consumer's) gives the same index.
        var (current, _) = SegmentIndexLoader.LoadProfilesAsync(db, c.Profiles.Select(p => p.Id).ToList(), Now, default).GetAwaiter().GetResult();
        var perProfile = SegmentIndex.Build(current);
        return (expected.SequenceEqual(actual) && count == expected.Count && samples.SequenceEqual(expected.Take(2))
                && index.Count == c.Profiles.Count(p => !p.Merged) && perProfile.Describe() == index.Describe())
            .Label($"evaluator [{string.Join(",", expected)}] vs index [{string.Join(",", actual)}] (count {count}, samples {string.Join(",", samples)})\n" +
                   $"bulk:\n{index.Describe()}per profile:\n{perProfile.Describe()}");
    });

    public sealed record Step(IReadOnlyList<StoredProfile> Profiles, IReadOnlyList<ProfileChange> Changes);

    public sealed record History(IReadOnlyList<StoredProfile> Start, IReadOnlyList<Step> Steps, SegmentRule Rule)
    {
        public override string ToString() => new Case(Start, Rule) + "\n" + string.Join("\n--\n", Steps.Select(s =>
            $"changes [{string.Join(", ", s.Changes.Select(c => $"{c.ProfileId}:{c.Kinds}" + (c.OtherProfileId is { } o ? $"<-{o}" : "")))}]\n{new Case(s.Profiles, Rule)}"));
    }

    // Each profile is kept, replaced (new rows), merged into another or deleted; new profiles come after the highest id.
    private static Gen<Step> StepGen(IReadOnlyList<StoredProfile> before) =>
        from fates in Gen.Elements(0, 0, 1, 1, 2, 3).ListOf(before.Count)
        from replacements in ProfileGen(0).ListOf(before.Count)
        from added in Gen.Choose(0, 3)
        from news in ProfileGen(0).ListOf(added)
        select MakeStep(before, fates.ToList(), replacements.ToList(), news.ToList());

    private static Step MakeStep(IReadOnlyList<StoredProfile> before, List<int> fates, List<StoredProfile> replacements, List<StoredProfile> news)
    {
        var after = new List<StoredProfile>();
        var changes = new List<ProfileChange>();
        var survivor = before.FirstOrDefault(p => !p.Merged)?.Id ?? 0;
        for (var i = 0; i < before.Count; i++)
        {
            var p = before[i];
            switch (fates[i])
            {
                case 0:
                    after.Add(p);
                    break;
                case 1:
                    after.Add(WithId(replacements[i] with { Merged = p.Merged }, p.Id));
                    changes.Add(new ProfileChange { ProfileId = p.Id, Kinds = ProfileChangeKinds.Attributes | ProfileChangeKinds.Events | ProfileChangeKinds.Identities });
                    break;
                case 2:
                    after.Add(p with { Merged = true });
                    // The feed names the survivor and the merged profile as the other one.
                    changes.Add(new ProfileChange { ProfileId = survivor, Kinds = ProfileChangeKinds.Merged, OtherProfileId = p.Id });
                    break;
                default:
                    changes.Add(new ProfileChange { ProfileId = p.Id, Kinds = ProfileChangeKinds.Deleted });
                    break;
            }
        }
        var next = before.Count == 0 ? 1 : before.Max(p => p.Id) + 1;
        foreach (var n in news)
        {
            after.Add(WithId(n, next));
            changes.Add(new ProfileChange { ProfileId = next++, Kinds = ProfileChangeKinds.Events });
        }
        return new Step(after, changes);
    }

    private static Arbitrary<History> Histories =>
        (from start in Cases.Generator
         from first in StepGen(start.Profiles)
         from second in StepGen(first.Profiles)
         select new History(start.Profiles, [first, second], start.Rule)).ToArbitrary();

    [FsCheck.Xunit.Property(MaxTest = 150)]
    public Property IncrementalIndex_AnyChanges_EqualsIndexLoadedFromScratch() => Prop.ForAll(Histories, h =>
    {
        Store(_connection, h.Start);
        var host = new SegmentIndexHost(_dbFactory, new FixedTime(Now), NullLogger<SegmentIndexHost>.Instance);
        host.LoadAsync(default).GetAwaiter().GetResult();
        foreach (var step in h.Steps)
        {
            Store(_connection, step.Profiles);
            host.ApplyAsync(step.Changes, default).GetAwaiter().GetResult();
        }
        var last = h.Steps[^1].Profiles;
        using var db = _dbFactory.CreateDbContext();
        var scratch = SegmentIndexLoader.LoadAllAsync(db, Now, default).GetAwaiter().GetResult();
        host.TryRead(i => i.Describe(), out var incremental);
        host.TryRead(i => i.MatchingIds(h.Rule, Now, Memberships(last)), out var matching);
        var expected = Expected(last, h.Rule);
        return (incremental == scratch.Describe() && matching.SequenceEqual(expected))
            .Label($"incremental:\n{incremental}from scratch:\n{scratch.Describe()}matching [{string.Join(",", matching)}] vs evaluator [{string.Join(",", expected)}]");
    });

    [FsCheck.Xunit.Property(MaxTest = 2000)]
    public Property AttributeValues_AnyFragments_AreTheMergePolicyEvaluatorsValues() => Prop.ForAll(
        (from count in Gen.Choose(0, 8)
         from rows in AttributeGen(1).ListOf(count)
         select rows.DistinctBy(a => (a.SourceId, a.Key)).ToList()).ToArbitrary(),
        rows =>
        {
            static string Show(Dictionary<string, System.Text.Json.JsonElement> values) =>
                string.Join("; ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value.GetRawText()}"));
            var fast = Show(SegmentProfileFacts.AttributeValues(rows));
            var evaluator = Show(SegmentProfileFacts.AttributeValuesByPolicy(rows));
            return (fast == evaluator).Label($"fast path [{fast}] vs evaluator [{evaluator}] for " +
                string.Join(", ", rows.Select(a => $"s{a.SourceId} {a.Key}={a.ValueJson ?? "∅"} t{a.EventAt:mm} m{a.MessageId}")));
        });

    [Fact]
    public async Task ApplyAsync_ARebuild_ReloadsEveryProfile()
    {
        var a = new StoredProfile(1, false, [], [], ["email"], []);
        Store(_connection, [a]);
        var host = new SegmentIndexHost(_dbFactory, new FixedTime(Now), NullLogger<SegmentIndexHost>.Instance);
        await host.LoadAsync(default);
        Store(_connection, [a with { Namespaces = [] }, new StoredProfile(2, false, [], [], ["email"], [])]);

        await host.ApplyAsync([new ProfileChange { ProfileId = 0, Kinds = ProfileChangeKinds.Rebuilt }], default);

        var hasEmail = new SegmentRule(new IdentityCondition("n", "email", Has: true));
        host.TryRead(i => i.MatchingIds(hasEmail, Now, Memberships([])), out var ids);
        Assert.Equal([2L], ids);
    }

    [Fact]
    public async Task ApplyAsync_ARowAboutMembershipsAlone_ReadsNothing_AnotherRowOfTheSameProfileStillDoes()
    {
        var a = new StoredProfile(1, false, [], [], ["email"], []);
        Store(_connection, [a]);
        var host = new SegmentIndexHost(_dbFactory, new FixedTime(Now), NullLogger<SegmentIndexHost>.Instance);
        await host.LoadAsync(default);
        Store(_connection, [a with { Namespaces = [] }]);
        var hasEmail = new SegmentRule(new IdentityCondition("n", "email", Has: true));

        // Memberships are not in the index: rows about them alone (streaming's and a full evaluation's) change nothing.
        await host.ApplyAsync([
            new ProfileChange { Id = 1, ProfileId = 1, Kinds = ProfileChangeKinds.Segments | ProfileChangeKinds.ReferrersEvaluated },
            new ProfileChange { Id = 2, ProfileId = 1, Kinds = ProfileChangeKinds.Segments }], default);
        Assert.Equal(0, host.Status.ChangesApplied);
        host.TryRead(i => i.MatchingIds(hasEmail, Now, Memberships([])), out var before);
        Assert.Equal([1L], before);

        await host.ApplyAsync([
            new ProfileChange { Id = 3, ProfileId = 1, Kinds = ProfileChangeKinds.Segments },
            new ProfileChange { Id = 4, ProfileId = 1, Kinds = ProfileChangeKinds.Identities }], default);
        Assert.Equal(1, host.Status.ChangesApplied);
        host.TryRead(i => i.MatchingIds(hasEmail, Now, Memberships([])), out var after);
        Assert.Empty(after);
    }

    internal static Dictionary<long, IReadOnlySet<long>> Memberships(IReadOnlyList<StoredProfile> profiles) =>
        new long[] { 1, 2 }.ToDictionary(s => s, s => (IReadOnlySet<long>)profiles.Where(p => p.Segments.Contains(s)).Select(p => p.Id).ToHashSet());

    // On the profiles' track events alone (their page and screen views, named as track events, count for no path).
    private static List<long> Expected(IReadOnlyList<StoredProfile> profiles, SegmentRule rule) =>
        profiles.Where(p => !p.Merged).Where(p => SegmentEvaluator.Evaluate(rule, TrackedFacts(p), Now).Matches).Select(p => p.Id).Order().ToList();

    internal sealed class DbFactory(string connectionString) : IDbContextFactory<ProfileStudioDbContext>
    {
        public ProfileStudioDbContext CreateDbContext() =>
            new(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(connectionString).Options);
    }

    internal sealed class FixedTime(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now, TimeSpan.Zero);
    }
}
