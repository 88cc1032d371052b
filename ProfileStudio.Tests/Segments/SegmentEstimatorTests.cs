using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Segments;
using ProfileStudio.Tests.Support;
using static ProfileStudio.Tests.Segments.SegmentPathsAgreePropertyTests;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentEstimatorTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;
    private readonly SegmentIndexPropertyTests.DbFactory _dbFactory;
    private readonly SegmentIndexHost _host;
    private readonly Memberships _memberships = new();
    private readonly SegmentEstimator _estimator;

    private static readonly SegmentRule FrenchOrVip = new(new GroupNode("root", GroupKind.AnyOf,
    [
        new AttributeCondition("country", "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" }),
        new SegmentCondition("vip", 7, IsIn: true),
    ]));

    public SegmentEstimatorTests()
    {
        _dbFactory = new SegmentIndexPropertyTests.DbFactory(_directory.ConnectionString);
        using (var db = _dbFactory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
        var time = new SegmentIndexPropertyTests.FixedTime(Now);
        _host = new SegmentIndexHost(_dbFactory, time, NullLogger<SegmentIndexHost>.Instance);
        _estimator = new SegmentEstimator(_host, _dbFactory, _memberships, time);
        // Profiles 1..30: odd ones French; 2 is merged into another; 30 is a member of segment 7.
        Store(_connection, Enumerable.Range(1, 30).Select(i => new StoredProfile(i, i == 2,
            [new ProfileAttribute { ProfileId = i, SourceId = 1, Key = "country", ValueJson = i % 2 == 1 ? "\"France\"" : "\"Spain\"", EventAt = Now.AddDays(-1), MessageId = i }],
            [], [], [])).ToList());
        _memberships.Members[7] = new HashSet<long> { 30 };
    }

    public void Dispose()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task EstimateAsync_BeforeTheIndexLoads_AnswersExactlyFromSql()
    {
        var estimate = await _estimator.EstimateAsync(FrenchOrVip, default);

        Assert.Equal(SegmentEstimatePath.Sql, estimate.Path);
        Assert.Equal((16L, 29L), (estimate.Matching, estimate.Total)); // 15 odd ids + member 30, of 29 current profiles
        Assert.Equal([1L, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30], estimate.SampleProfileIds);
        Assert.Equal(Now, estimate.ComputedAt);
    }

    [Fact]
    public async Task EstimateAsync_OnceTheIndexLoaded_AnswersTheSameFromTheIndex()
    {
        await _host.LoadAsync(default);

        var estimate = await _estimator.EstimateAsync(FrenchOrVip, default);

        Assert.Equal(SegmentEstimatePath.Index, estimate.Path);
        Assert.Equal((16L, 29L), (estimate.Matching, estimate.Total));
        Assert.Equal([1L, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30], estimate.SampleProfileIds);
    }

    [Fact]
    public async Task EstimateAsync_ManyMatching_CarriesTwentySamplesWithTheLowestIds()
    {
        await _host.LoadAsync(default);

        var estimate = await _estimator.EstimateAsync(new SegmentRule(new AttributeCondition("c", "country", new ValueTest(ValueTestType.Text, ValueOperator.Exists))), default);

        Assert.Equal(29, estimate.Matching);
        Assert.Equal(new long[] { 1 }.Concat(Enumerable.Range(3, 19).Select(i => (long)i)), estimate.SampleProfileIds);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EstimateChangeAsync_SomeMembersNoLongerMatch_CountsJoiningAndLeaving(bool loaded)
    {
        if (loaded)
        {
            await _host.LoadAsync(default);
        }
        // Current members: 1 and 3 (still match), 4 (Spanish: leaves), 2 (merged away: leaves).
        var change = await _estimator.EstimateChangeAsync(FrenchOrVip, new HashSet<long> { 1, 3, 4, 2 }, default);

        Assert.Equal(loaded ? SegmentEstimatePath.Index : SegmentEstimatePath.Sql, change.Path);
        Assert.Equal((14L, 2L), (change.Joining, change.Leaving));
        Assert.Equal([5L, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30], change.SampleJoining);
        Assert.Equal([2L, 4], change.SampleLeaving);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EstimateChangeWithoutAsync_CountsTheReferredSegmentAsEmpty_ForIsInAndIsNotIn(bool loaded)
    {
        if (loaded)
        {
            await _host.LoadAsync(default);
        }
        // Members as stored: every French profile and member 30 of segment 7.
        var members = new HashSet<long>([.. Enumerable.Range(1, 29).Where(i => i % 2 == 1).Select(i => (long)i), 30]);

        var withoutVip = await _estimator.EstimateChangeWithoutAsync(FrenchOrVip, members, emptied: 7, default);
        var notVip = new SegmentRule(new GroupNode("root", GroupKind.NoneOf, [new SegmentCondition("vip", 7, IsIn: true)]));
        var notVipWithout = await _estimator.EstimateChangeWithoutAsync(notVip, new HashSet<long> { 3 }, emptied: 7, default);
        var unrelated = await _estimator.EstimateChangeWithoutAsync(FrenchOrVip, members, emptied: 8, default);

        Assert.Equal((0L, 1L), (withoutVip.Joining, withoutVip.Leaving));
        Assert.Equal([30L], withoutVip.SampleLeaving); // in through segment 7 alone
        Assert.Equal((28L, 0L), (notVipWithout.Joining, notVipWithout.Leaving)); // every current profile but 3, 30 included
        Assert.Equal((0L, 0L), (unrelated.Joining, unrelated.Leaving));
        Assert.Equal(new HashSet<long> { 30 }, _memberships.Members[7]); // nothing stored changed
    }

    [Fact]
    public async Task MatchingIdsAsync_AfterAChangeFeedRow_SeesTheChangedProfile()
    {
        await _host.LoadAsync(default);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "UPDATE ProfileAttributes SET ValueJson = '\"Spain\"' WHERE ProfileId = 1";
            command.ExecuteNonQuery();
        }
        Assert.Contains(1L, await _estimator.MatchingIdsAsync(FrenchOrVip, default)); // not told yet

        await new SegmentIndexConsumer(_host).HandleAsync([new ProfileChange { ProfileId = 1, Kinds = ProfileChangeKinds.Attributes }], default);

        var ids = await _estimator.MatchingIdsAsync(FrenchOrVip, default);
        Assert.Equal([3L, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30], ids);
    }

    [Fact]
    public async Task MatchingIdsAsync_AfterABackfillFinished_SeesTheNewComputedValuesOfEveryProfile()
    {
        await _host.LoadAsync(default);
        // A backfill stores a value for every profile it computed and then tells the feed once, for all profiles (profile 0).
        await using (var db = _dbFactory.CreateDbContext())
        {
            db.ComputedAttributeDefinitions.Add(new ComputedAttributeDefinition
            {
                Id = 1, Name = "orders", Function = ComputedFunction.Count, EventNamesJson = "[\"Order Completed\"]", Status = ComputedStatus.Active, Version = 1,
            });
            db.ComputedProfileStates.AddRange(new[] { 4L, 6, 9 }.Select(p => ComputedProfileState.Of(p, new ComputedEntry(1, 1, ReadOnlyMemory<byte>.Empty, "3", Now, null))));
            await db.SaveChangesAsync();
        }
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("orders", "orders", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 2 })]));
        Assert.Empty(await _estimator.MatchingIdsAsync(rule, default)); // not told yet

        await new SegmentIndexConsumer(_host).HandleAsync([new ProfileChange { ProfileId = 0, Kinds = ProfileChangeKinds.Computed }], default);

        Assert.Equal([4L, 6, 9], await _estimator.MatchingIdsAsync(rule, default));
    }

    [Fact]
    public async Task MatchingIdsAsync_BeforeTheIndexLoads_ARuleOnAComputedAttributeWaitsForTheIndex()
    {
        await using (var db = _dbFactory.CreateDbContext())
        {
            db.ComputedAttributeDefinitions.Add(new ComputedAttributeDefinition
            {
                Id = 1, Name = "orders", Function = ComputedFunction.Count, EventNamesJson = "[\"Order Completed\"]", Status = ComputedStatus.Active, Version = 1,
            });
            db.ComputedProfileStates.AddRange(new[] { 4L, 6, 9 }.Select(p => ComputedProfileState.Of(p, new ComputedEntry(1, 1, ReadOnlyMemory<byte>.Empty, "3", Now, null))));
            await db.SaveChangesAsync();
        }
        var rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("orders", "orders", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual) { Number = 2 })]));

        // The SQL path knows stored traits only: it would answer "nobody" (and a batch evaluation would empty the segment).
        var matching = _estimator.MatchingIdsAsync(rule, default);
        var told = 0;
        var estimate = _estimator.EstimateAsync(rule, default, () => told++);
        await Task.Delay(200);
        Assert.False(matching.IsCompleted);
        Assert.False(estimate.IsCompleted);
        Assert.Equal(1, told); // the builder says why the count waits
        Assert.Contains("The index is loading", _estimator.IndexLoadingMessage);
        // A rule on stored traits alone still answers from SQL meanwhile.
        Assert.Equal(SegmentEstimatePath.Sql, (await _estimator.EstimateAsync(FrenchOrVip, default)).Path);

        await _host.LoadAsync(default);

        Assert.Equal([4L, 6, 9], await matching);
        Assert.Equal((3L, SegmentEstimatePath.Index), ((await estimate).Matching, (await estimate).Path));
    }

    [Fact]
    public async Task IndexLoadingMessage_AfterAFailedLoad_SaysWhyAndThatItIsRetried()
    {
        using (var drop = _connection.CreateCommand())
        {
            drop.CommandText = "ALTER TABLE ProfileEvents RENAME TO ProfileEventsAway";
            drop.ExecuteNonQuery();
        }
        await Assert.ThrowsAnyAsync<Exception>(() => _host.LoadAsync(default));

        Assert.Contains("no such table", _host.LastLoadError);
        Assert.Contains("could not load yet (", _estimator.IndexLoadingMessage);
        Assert.Contains("tried again", _estimator.IndexLoadingMessage);
        Assert.Contains("no such table", _estimator.IndexLoadingMessage);

        using (var back = _connection.CreateCommand())
        {
            back.CommandText = "ALTER TABLE ProfileEventsAway RENAME TO ProfileEvents";
            back.ExecuteNonQuery();
        }
        await _host.LoadAsync(default);
        Assert.Null(_host.LastLoadError);
        Assert.Contains("The index is loading", _estimator.IndexLoadingMessage);
    }

    private sealed class Memberships : ISegmentMembershipSource
    {
        public Dictionary<long, IReadOnlySet<long>> Members { get; } = [];

        public Task<IReadOnlySet<long>> MembersAsync(long segmentId, CancellationToken ct) =>
            Task.FromResult(Members.GetValueOrDefault(segmentId) ?? new HashSet<long>());
    }
}
