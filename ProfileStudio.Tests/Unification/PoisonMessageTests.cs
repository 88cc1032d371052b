using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Storage.Sqlite;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>
/// One message never stops unification: whatever an accepted lake message holds, the runner either
/// processes it or sets it aside with the reason, and every other message is unified. On real SQLite,
/// with messages written straight into the lake (as if ingestion had let anything through).
/// </summary>
public sealed class PoisonMessageTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _writing;
    private readonly SqliteConnection _reading;

    public PoisonMessageTests()
    {
        _directory.MigrateWithWebSource();
        _writing = new SqliteConnection(_directory.ConnectionString);
        _writing.Open();
        _reading = new SqliteConnection(_directory.ConnectionString);
        _reading.Open();
    }

    [Fact]
    public async Task CatchUp_PageNameOfTheWrongType_IsReadAsTextAndTheNextMessagesAreUnified()
    {
        // The issue's example: accepted, then the worker threw on it for ever and no profile was updated again.
        Lake("""{"type":"page","userId":"u1","name":12345}""", """{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
             """{"type":"page","userId":"u2","properties":{"path":["/a"]}}""", """{"type":"identify","userId":"u2","context":{"traits":[1,2]},"traits":{"plan":"free"}}""");

        var (checkpoint, _) = await CatchUpAsync(runSize: 100);

        Assert.Equal(LakeEnd(), checkpoint);
        Assert.Equal("\"pro\"", Attribute("u1", "plan"));
        Assert.Equal("\"free\"", Attribute("u2", "plan"));
        Assert.Equal(["12345", "Page"], Scalars("SELECT Name FROM ProfileEvents ORDER BY MessageId"));
        Assert.Empty(SetAside());
    }

    [Fact]
    public async Task CatchUp_MessageTheEngineCannotRead_IsSetAsideWithTheReasonInTheSameRun()
    {
        var ids = Lake("""{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
                       """{"type":"identify","userId":"\ud800","traits":{"plan":"broken"}}""",
                       """{"type":"identify","userId":"u2","traits":{"plan":"free"}}""");

        var (checkpoint, _) = await CatchUpAsync(runSize: 100);

        Assert.Equal(ids[^1], checkpoint);
        var aside = Assert.Single(SetAside());
        Assert.Equal(ids[1], aside.Id);
        Assert.Contains("could not read", aside.Reason);
        Assert.Equal("\"pro\"", Attribute("u1", "plan"));
        Assert.Equal("\"free\"", Attribute("u2", "plan"));
    }

    [Fact]
    public async Task CatchUp_StoredMessageThatIsNoReadableObject_IsSetAsideWithTheReasonAndTheOthersUnified()
    {
        // A CSV column named with 64 dots once stored a row nested past the reader's default depth: the worker skipped it
        // as "unidentified", so the row was counted as accepted and lost without a trace. Whatever the cause, such a
        // message is set aside where people see it; a depth that ingestion accepts is read.
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        var ids = Lake("""{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
                       "{\"type\":\"identify\",\"userId\":\"u2\",\"traits\":" + deep + "}",
                       """{"type":"identify","userId":"u3","traits":{"plan":""",
                       "[1,2,3]",
                       """{"type":"identify","userId":"u4","traits":{"plan":"free"}}""");

        var (checkpoint, _) = await CatchUpAsync(runSize: 100);

        Assert.Equal(ids[^1], checkpoint);
        Assert.Equal([ids[2], ids[3]], SetAside().Select(a => a.Id));
        Assert.All(SetAside(), a => Assert.Contains("could not read the stored message", a.Reason));
        Assert.Equal("\"pro\"", Attribute("u1", "plan"));
        Assert.Equal(1L, Scalars("SELECT count(*) FROM Identities WHERE Namespace = 'user_id' AND Value = 'u2'").Single()); // 100 levels: past the default reader's 64, still read
        Assert.Equal("\"free\"", Attribute("u4", "plan"));
    }

    [Fact]
    public async Task CatchUp_RunFailsOnOneMessageWhenWritten_OnlyThatMessageIsSetAsideAndTheRestUnified()
    {
        // A failure the engine cannot see coming: the store refuses one event when the run is written.
        Execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        var payloads = Enumerable.Range(0, 300).Select(i => i == 137
            ? """{"type":"track","userId":"u137","event":"boom"}"""
            : "{\"type\":\"identify\",\"userId\":\"u" + i + "\",\"traits\":{\"plan\":\"p" + i + "\"}}").ToArray();
        var ids = Lake(payloads);

        var setAside = new List<long>();
        var (checkpoint, _) = await CatchUpAsync(runSize: 1000, onSetAside: setAside.Add);

        Assert.Equal(ids[^1], checkpoint);
        var aside = Assert.Single(SetAside());
        Assert.Equal(ids[137], aside.Id);
        Assert.Contains("injected failure", aside.Reason);
        Assert.Equal([ids[137]], setAside);
        Assert.All(Enumerable.Range(0, 300).Where(i => i != 137), i => Assert.Equal($"\"p{i}\"", Attribute($"u{i}", "plan")));
    }

    [Fact]
    public async Task RetrySetAside_AfterTheCauseIsFixed_ProcessesTheMessageAndRemovesItFromTheList()
    {
        Execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        var ids = Lake("""{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""", """{"type":"track","userId":"u1","event":"boom"}""",
                       """{"type":"identify","userId":"u2","traits":{"plan":"free"}}""");
        await CatchUpAsync(runSize: 10);
        Assert.Equal([ids[1]], SetAside().Select(s => s.Id));

        // Asked again before the fix: it fails again, stays, one more attempt counted, request cleared.
        Execute("UPDATE SetAsideMessages SET RetryRequestedAt = '2026-12-01 00:00:00'");
        await RetryAsync();
        Assert.Equal(2L, Scalars("SELECT Attempts FROM SetAsideMessages").Single());
        Assert.Equal([null], Scalars("SELECT RetryRequestedAt FROM SetAsideMessages"));

        Execute("DROP TRIGGER refuse_boom");
        Execute("UPDATE SetAsideMessages SET RetryRequestedAt = '2026-12-01 00:00:00'");
        await RetryAsync();

        Assert.Empty(SetAside());
        Assert.Equal(["boom"], Scalars("SELECT Name FROM ProfileEvents"));
        Assert.Equal(ids[^1], new SqliteUnificationStore(_writing).ReadCheckpoint()); // a retry never moves the checkpoint back
    }

    [Fact]
    public async Task Rebuild_PassesOverSetAsideMessages()
    {
        Execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        Lake("""{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""", """{"type":"track","userId":"u1","event":"boom"}""");
        await CatchUpAsync(runSize: 10);
        Execute("DROP TRIGGER refuse_boom");

        await using var session = new SqliteUnificationSession(_reading, _writing);
        await session.Maintenance.RebuildAsync(IdentityRules.Default, 10, (_, _) => { }, CancellationToken.None);
        session.Maintenance.Swap();
        SqliteUnificationRebuild.NormalizeIndexNames(_writing);

        Assert.Empty(Scalars("SELECT Name FROM ProfileEvents"));
        Assert.Single(SetAside());
        Assert.Equal("\"pro\"", Attribute("u1", "plan"));
    }

    [Fact]
    public async Task CatchUp_ADeviceMovingToAnotherPerson_TellsTheFeedAboutThePersonItLeft()
    {
        // Two people on one laptop: the device follows the latest sign-in, so u1's profile loses it.
        Lake("""{"type":"identify","userId":"u1","anonymousId":"a1"}""", """{"type":"identify","userId":"u2","anonymousId":"a1"}""");

        await CatchUpAsync(runSize: 1);

        var first = (long)Scalars("SELECT ProfileId FROM Identities WHERE Value = 'u1'").Single()!;
        Assert.NotEqual(first, (long)Scalars("SELECT ProfileId FROM Identities WHERE Value = 'a1'").Single()!);
        var secondRun = Scalars($"SELECT Kinds FROM ProfileChanges WHERE ProfileId = {first} ORDER BY Id").Cast<long>().Skip(1).ToList();
        Assert.Contains(secondRun, k => (k & (long)ProfileChangeKinds.Identities) != 0);
    }

    [Fact]
    public async Task CatchUp_RecordsWhatEachRunChangedPerProfile_InTheChangeFeed()
    {
        Lake("""{"type":"page","anonymousId":"a1","name":"Home"}""", """{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
             """{"type":"identify","userId":"u1","anonymousId":"a1"}""");

        await CatchUpAsync(runSize: 2);

        var feed = Scalars("SELECT ProfileId || ':' || Kinds || ':' || ifnull(OtherProfileId, '-') FROM ProfileChanges ORDER BY Id").Cast<string>().ToList();
        // Run 1: profile 1 (a1) was created, first seen and got an identity and an event (1024 + 512 + 1 + 4), profile 2 (u1)
        // was created, first seen and got an identity and an attribute (1024 + 512 + 1 + 2). Run 2: 2 merged into 1 (or 1 into 2).
        Assert.Equal(["1:1541:-", "2:1539:-"], feed.Take(2));
        Assert.Contains(feed.Skip(2), f => f.EndsWith(":8:2", StringComparison.Ordinal) || f.EndsWith(":8:1", StringComparison.Ordinal));
    }

    // ---- the property: arbitrary JSON in every field the engine reads ----

    private static readonly string[] Fields =
    [
        "type", "userId", "anonymousId", "previousId", "groupId", "event", "name", "category", "messageId", "timestamp",
        "properties", "properties.path", "properties.email", "traits", "traits.email", "traits.phone", "traits.name", "traits.address",
        "context", "context.traits", "context.traits.email", "context.externalIds", "context.externalIds.0", "context.externalIds.0.type",
        "context.externalIds.0.id", "context.externalIds.0.collection",
    ];

    private static readonly string[] Strings =
        ["", " ", "a/b", "%2F", "x+y z", "Ünïcødé 😀", "<script>alert(1)</script>", "'; DROP TABLE Profiles;--", "\u0000", "\u001f", "user_id", "email", "phone",
         "a@b.test", "+447700900123", new string('x', 5000)];

    private static readonly string[] RawJson = ["1e400", "-1e400", "1e308", "-0", "123456789012345678901234567890", "0.000000000000000000001", "\"~lone-high~\"", "\"~lone-low~ x\""];

    private static Gen<JsonNode?> Json(int depth)
    {
        var scalars = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.Choose(int.MinValue, int.MaxValue).Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Elements(Strings).Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.Elements(RawJson).Select(r => JsonNode.Parse(r)));
        if (depth <= 0)
        {
            return scalars;
        }
        var array = Json(depth - 1).ListOf().Select(l => (JsonNode?)new JsonArray([.. l.Take(4)]));
        var obj = Gen.Zip(Gen.Elements("email", "phone", "type", "id", "path", "traits", "a", "b.c", ""), Json(depth - 1)).ListOf()
            .Select(pairs =>
            {
                var o = new JsonObject();
                foreach (var (k, v) in pairs.Take(4))
                {
                    o[k] = v;
                }
                return (JsonNode?)o;
            });
        return Gen.Frequency((4, scalars), (1, array), (1, obj));
    }

    /// <summary>A message of some type with a usable id, then 1–3 fields replaced by arbitrary JSON.</summary>
    private static Gen<string> Hostile =>
        from type in Gen.Elements("identify", "track", "page", "screen", "group", "alias")
        from id in Gen.Choose(1, 5)
        from mutations in Gen.Zip(Gen.Elements(Fields), Json(3)).ListOf().Select(l => l.Take(3).ToList())
        select Mutate(type, id, mutations);

    private static string Mutate(string type, int id, List<(string Field, JsonNode? Value)> mutations)
    {
        var m = new JsonObject
        {
            ["type"] = type, ["anonymousId"] = $"h{id}", ["event"] = "Clicked", ["name"] = "Home", ["groupId"] = "g1", ["previousId"] = $"h{id + 1}",
            ["userId"] = $"hu{id}", ["traits"] = new JsonObject { ["email"] = $"h{id}@x.test" }, ["properties"] = new JsonObject { ["path"] = "/" },
            ["context"] = new JsonObject { ["traits"] = new JsonObject(), ["externalIds"] = new JsonArray(new JsonObject { ["type"] = "crm_id", ["id"] = $"c{id}" }) },
        };
        foreach (var (field, value) in mutations)
        {
            JsonNode? parent = m;
            var parts = field.Split('.');
            foreach (var part in parts[..^1])
            {
                parent = parent switch
                {
                    JsonObject o => o[part],
                    JsonArray a when int.TryParse(part, out var i) && i < a.Count => a[i],
                    _ => null,
                };
            }
            switch (parent)
            {
                case JsonObject o:
                    o[parts[^1]] = value?.DeepClone();
                    break;
                case JsonArray a when int.TryParse(parts[^1], out var i) && i < a.Count:
                    a[i] = value?.DeepClone();
                    break;
            }
        }
        // Lone surrogates cannot live in a JsonNode; they are spliced into the text as JSON escapes.
        return m.ToJsonString().Replace("~lone-high~", "\\ud800").Replace("~lone-low~", "\\udfff");
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property CatchUp_ArbitraryJsonInEveryField_EachMessageIsProcessedOrSetAsideAndTheOthersAreUnified()
    {
        var entries = Gen.Frequency(
            (3, Hostile.Select(h => (Good: -1, Payload: h))),
            (2, Gen.Constant((Good: 0, Payload: ""))),
            (1, Gen.Constant((Good: -2, Payload: ""))));
        return Prop.ForAll(entries.ListOf().Where(l => l.Count is > 0 and <= 40).ToArbitrary(), Gen.Choose(1, 50).ToArbitrary(), (list, runSize) =>
        {
            Reset();
            // Good messages: each its own person with a known plan. "boom" events: refused by the store when written.
            var payloads = list.Select((e, i) => e.Good switch
            {
                0 => "{\"type\":\"identify\",\"userId\":\"good" + i + "\",\"traits\":{\"plan\":\"p" + i + "\"}}",
                -2 => $$"""{"type":"track","anonymousId":"boom{{i}}","event":"boom"}""",
                _ => e.Payload,
            }).ToArray();
            var ids = Lake(payloads);
            var (checkpoint, _) = CatchUpAsync(runSize).GetAwaiter().GetResult();

            var aside = SetAside().Select(s => s.Id).ToHashSet();
            var good = list.Select((e, i) => (e, i)).Where(x => x.e.Good == 0).Select(x => x.i).ToList();
            var booms = list.Select((e, i) => (e, i)).Where(x => x.e.Good == -2).Select(x => ids[x.i]).ToList();
            var goodUnified = good.All(i => Attribute($"good{i}", "plan") == $"\"p{i}\"");
            return (checkpoint == ids[^1] && goodUnified && good.All(i => !aside.Contains(ids[i])) && booms.All(aside.Contains))
                .Label($"checkpoint {checkpoint} of {ids[^1]}, good unified {goodUnified}, set aside [{string.Join(",", aside)}], booms [{string.Join(",", booms)}]\n{string.Join("\n", payloads)}");
        });
    }

    // ---- helpers ----

    private async Task<(long Checkpoint, int Messages)> CatchUpAsync(int runSize, Action<long>? onSetAside = null)
    {
        var store = new SqliteUnificationStore(_writing);
        await using var session = new SqliteUnificationSession(_reading, _writing);
        await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default)), TimeProvider.System);
        runner.SetAside += (id, _) => onSetAside?.Invoke(id);
        return await runner.CatchUpAsync(store.ReadCheckpoint(), runSize, null, CancellationToken.None);
    }

    private async Task RetryAsync()
    {
        var store = new SqliteUnificationStore(_writing);
        await using var session = new SqliteUnificationSession(_reading, _writing);
        await using var runner = new UnificationRunner(session, new UnificationEngine(store.RestoreGraph(IdentityRules.Default)), TimeProvider.System);
        await runner.RetrySetAsideAsync(null, CancellationToken.None);
    }

    private void Reset()
    {
        Execute("DELETE FROM SetAsideMessages");
        Execute("DELETE FROM RawMessages");
        new SqliteUnificationStore(_writing).Clear();
        Execute("DROP TRIGGER IF EXISTS refuse_boom");
        Execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    }

    private long[] Lake(params string[] payloads)
    {
        var ids = new long[payloads.Length];
        var at = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < payloads.Length; i++)
        {
            using var command = _writing.CreateCommand();
            command.CommandText = """
                INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES (1, $id, $t, $at, $at, $p, 1) RETURNING Id
                """;
            command.Parameters.AddWithValue("$t", LakeType(payloads[i]));
            command.Parameters.AddWithValue("$id", Guid.NewGuid().ToString("N"));
            command.Parameters.AddWithValue("$at", at.AddSeconds(i));
            command.Parameters.AddWithValue("$p", payloads[i]);
            ids[i] = (long)command.ExecuteScalar()!;
        }
        return ids;
    }

    /// <summary>The type column as the lake writer fills it: the message's type when it is one, else "unknown".</summary>
    private static string LakeType(string payload)
    {
        try
        {
            return JsonNode.Parse(payload)!["type"] is JsonValue v && v.TryGetValue(out string? t) && t.Length <= 16 ? t : "unknown";
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException)
        {
            return "unknown"; // a lone surrogate, or text that is no JSON
        }
    }

    private string? Attribute(string userId, string key)
    {
        using var command = _writing.CreateCommand();
        command.CommandText = """
            SELECT a.ValueJson FROM Identities i JOIN Profiles p ON p.Id = i.ProfileId JOIN ProfileAttributes a ON a.ProfileId = p.Id
            WHERE i.Namespace = 'user_id' AND i.Value = $u AND a.Key = $k
            """;
        command.Parameters.AddWithValue("$u", userId);
        command.Parameters.AddWithValue("$k", key);
        return command.ExecuteScalar() as string;
    }

    private List<(long Id, string Reason)> SetAside()
    {
        using var command = _writing.CreateCommand();
        command.CommandText = "SELECT MessageId, Reason FROM SetAsideMessages ORDER BY MessageId";
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        return rows;
    }

    private List<object?> Scalars(string sql)
    {
        using var command = _writing.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<object?>();
        while (reader.Read())
        {
            values.Add(reader.IsDBNull(0) ? null : reader.GetValue(0));
        }
        return values;
    }

    private void Execute(string sql)
    {
        using var command = _writing.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long LakeEnd() => (long)Scalars("SELECT max(Id) FROM RawMessages").Single()!;

    public void Dispose()
    {
        _reading.Dispose();
        _writing.Dispose();
        _directory.Dispose();
    }
}
