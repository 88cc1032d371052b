using Microsoft.Extensions.Time.Testing;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Auditing;

public sealed class AuditLogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private StudioServices _studio = default!;

    private AuditLog Audit => _studio.Audit;

    public async Task InitializeAsync() => _studio = await StudioServices.StartAsync(withAccounts: false, time: _time);

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private static AuditActor Alice => new("u-alice", "alice@example.com", "10.0.0.7");

    private static AuditActor Bob => new("u-bob", "bob@example.com");

    [Fact]
    public async Task RecordAsync_OneEntry_IsReadBackWithEveryField()
    {
        await Audit.RecordAsync(Alice, AuditActions.UserCreated, "carol@example.com", "roles: Support");

        var page = await Audit.QueryAsync(new AuditFilter(), 0, 10);

        var entry = Assert.Single(page.Entries);
        Assert.Equal(1, page.Total);
        Assert.Equal(Start.UtcDateTime, entry.At);
        Assert.Equal(DateTimeKind.Utc, entry.At.Kind);
        Assert.Equal("u-alice", entry.ActorId);
        Assert.Equal("alice@example.com", entry.ActorName);
        Assert.Equal("10.0.0.7", entry.IpAddress);
        Assert.Equal(AuditActions.UserCreated, entry.Action);
        Assert.Equal("carol@example.com", entry.Target);
        Assert.Equal("roles: Support", entry.Details);
    }

    [Fact]
    public async Task RecordAsync_SystemActor_HasNoUserId()
    {
        await Audit.RecordAsync(AuditActor.System, AuditActions.UserBootstrapped, "admin@example.com");

        var entry = Assert.Single((await Audit.QueryAsync(new AuditFilter(), 0, 10)).Entries);

        Assert.Null(entry.ActorId);
        Assert.Equal("system", entry.ActorName);
    }

    [Fact]
    public async Task QueryAsync_SeveralEntries_NewestFirst()
    {
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        _time.Advance(TimeSpan.FromMinutes(1));
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");
        _time.Advance(TimeSpan.FromMinutes(1));
        await Audit.RecordAsync(Alice, AuditActions.SignOut, "alice@example.com");

        var page = await Audit.QueryAsync(new AuditFilter(), 0, 10);

        Assert.Equal(
            [(AuditActions.SignOut, "alice@example.com"), (AuditActions.SignIn, "bob@example.com"), (AuditActions.SignIn, "alice@example.com")],
            page.Entries.Select(e => (e.Action, e.Target)));
        Assert.Equal(page.Entries.Select(e => e.At).OrderDescending(), page.Entries.Select(e => e.At));
    }

    [Fact]
    public async Task QueryAsync_ActorText_MatchesWhoActedOrWhoWasActedOn()
    {
        await Audit.RecordAsync(Alice, AuditActions.UserLocked, "bob@example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");
        await Audit.RecordAsync(AuditActor.System, AuditActions.UserBootstrapped, "admin@example.com");

        var alice = await Audit.QueryAsync(new AuditFilter(Actor: "alice"), 0, 10);
        var bob = await Audit.QueryAsync(new AuditFilter(Actor: " bob@ "), 0, 10);

        Assert.Equal([AuditActions.UserLocked], alice.Entries.Select(e => e.Action));
        Assert.Equal([AuditActions.SignIn, AuditActions.UserLocked], bob.Entries.Select(e => e.Action));
        Assert.Equal(2, bob.Total);
    }

    [Fact]
    public async Task QueryAsync_ActorTextInAnotherCase_StillMatches()
    {
        // Sign-ins are recorded with the email as the person typed it.
        await Audit.RecordAsync(new AuditActor("u-alice", "Alice@Example.com"), AuditActions.SignIn, "Alice@Example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");

        var page = await Audit.QueryAsync(new AuditFilter(Actor: "alice@example"), 0, 10);

        Assert.Equal(["Alice@Example.com"], page.Entries.Select(e => e.ActorName));
    }

    [Fact]
    public async Task QueryAsync_BlankActorText_IsNoFilter()
    {
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");

        var page = await Audit.QueryAsync(new AuditFilter(Actor: "   "), 0, 10);

        Assert.Equal(2, page.Total);
    }

    [Fact]
    public async Task QueryAsync_Action_KeepsOnlyThatAction()
    {
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        await Audit.RecordAsync(Alice, AuditActions.SignInFailed, "alice@example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");

        var page = await Audit.QueryAsync(new AuditFilter(Action: AuditActions.SignIn), 0, 10);

        Assert.Equal(2, page.Total);
        Assert.All(page.Entries, e => Assert.Equal(AuditActions.SignIn, e.Action));
    }

    [Fact]
    public async Task QueryAsync_DateRange_FromIsInclusiveAndToIsExclusive()
    {
        // One entry at 10:00 on each of 1, 2 and 3 March.
        foreach (var target in new[] { "day1", "day2", "day3" })
        {
            await Audit.RecordAsync(Alice, AuditActions.SignIn, target);
            _time.Advance(TimeSpan.FromDays(1));
        }
        var day2 = Start.UtcDateTime.AddDays(1);

        var exact = await Audit.QueryAsync(new AuditFilter(FromUtc: day2, ToUtc: day2.AddDays(1)), 0, 10);
        var wholeDay = await Audit.QueryAsync(new AuditFilter(FromUtc: day2.Date, ToUtc: day2.Date.AddDays(1)), 0, 10);
        var onlyFrom = await Audit.QueryAsync(new AuditFilter(FromUtc: day2), 0, 10);
        var onlyTo = await Audit.QueryAsync(new AuditFilter(ToUtc: day2), 0, 10);

        Assert.Equal(["day2"], exact.Entries.Select(e => e.Target));
        Assert.Equal(["day2"], wholeDay.Entries.Select(e => e.Target));
        Assert.Equal(["day3", "day2"], onlyFrom.Entries.Select(e => e.Target));
        Assert.Equal(["day1"], onlyTo.Entries.Select(e => e.Target));
    }

    [Fact]
    public async Task QueryAsync_FiltersTogether_AllMustHold()
    {
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        _time.Advance(TimeSpan.FromDays(2));
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        await Audit.RecordAsync(Alice, AuditActions.SignOut, "alice@example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");

        var page = await Audit.QueryAsync(new AuditFilter("alice", AuditActions.SignIn, Start.UtcDateTime.AddDays(1), null), 0, 10);

        var entry = Assert.Single(page.Entries);
        Assert.Equal(Start.UtcDateTime.AddDays(2), entry.At);
    }

    [Fact]
    public async Task QueryAsync_SkipAndTake_ReturnsThatPageAndTheTotal()
    {
        for (var i = 1; i <= 7; i++)
        {
            await Audit.RecordAsync(Alice, AuditActions.SignIn, $"entry-{i}");
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var second = await Audit.QueryAsync(new AuditFilter(), skip: 3, take: 3);
        var last = await Audit.QueryAsync(new AuditFilter(), skip: 6, take: 3);
        var beyond = await Audit.QueryAsync(new AuditFilter(), skip: 9, take: 3);

        Assert.Equal(["entry-4", "entry-3", "entry-2"], second.Entries.Select(e => e.Target));
        Assert.Equal(["entry-1"], last.Entries.Select(e => e.Target));
        Assert.Empty(beyond.Entries);
        Assert.All([second, last, beyond], p => Assert.Equal(7, p.Total));
    }

    [Fact]
    public async Task QueryAsync_FilteredPage_TotalCountsEveryMatchNotThePage()
    {
        for (var i = 0; i < 4; i++)
        {
            await Audit.RecordAsync(Alice, AuditActions.SignInFailed, "alice@example.com");
            await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");
        }

        var page = await Audit.QueryAsync(new AuditFilter(Action: AuditActions.SignInFailed), skip: 0, take: 3);

        Assert.Equal(3, page.Entries.Count);
        Assert.Equal(4, page.Total);
    }

    [Fact]
    public async Task ActionsAsync_RepeatedActions_AreDistinctAndSorted()
    {
        await Audit.RecordAsync(Alice, AuditActions.UserLocked, "bob@example.com");
        await Audit.RecordAsync(Alice, AuditActions.SignIn, "alice@example.com");
        await Audit.RecordAsync(Bob, AuditActions.SignIn, "bob@example.com");
        await Audit.RecordAsync(Alice, AuditActions.LockedOut, "alice@example.com");

        var actions = await Audit.ActionsAsync();

        Assert.Equal([AuditActions.LockedOut, AuditActions.SignIn, AuditActions.UserLocked], actions);
    }

    [Fact]
    public async Task ActionsAsync_EmptyLog_IsEmpty()
    {
        var actions = await Audit.ActionsAsync();

        Assert.Empty(actions);
    }
}
