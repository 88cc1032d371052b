using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>
/// The lake is the truth: processing it incrementally, in runs of any size with the graph restored
/// from storage between runs (as after restarts), gives exactly what one rebuild from the lake gives:
/// the same identity partitions, attribute fragments and events. On real SQLite.
/// </summary>
public sealed class IncrementalEqualsRebuildTests : IDisposable
{
    private static readonly string[] TraitKeys = ["name", "plan", "address.city"];
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;

    public IncrementalEqualsRebuildTests()
    {
        using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options))
        {
            db.Database.Migrate();
            db.Sources.AddRange(
                new Source { Name = "Web", Kind = SourceKind.Streaming, WriteKeyHash = "a", WriteKeyHint = "a" },
                new Source { Name = "CRM", Kind = SourceKind.Batch, WriteKeyHash = "b", WriteKeyHint = "b" });
            db.SaveChanges();
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
    }

    public sealed record Msg(int Source, string Type, string? UserId, string? AnonymousId, string? Email, string? Phone, int TraitKey, string? TraitValue, int MinutesOffset, bool Rejected);

    private static Gen<Msg> MessageGen =>
        from source in Gen.Choose(1, 2)
        from type in Gen.Elements("identify", "identify", "track", "page", "alias")
        from user in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Choose(1, 4).Select(i => (string?)$"u{i}")))
        from anon in Gen.Frequency((1, Gen.Constant<string?>(null)), (2, Gen.Choose(1, 6).Select(i => (string?)$"a{i}")))
        from email in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("E1@X.TEST", "e1@x.test", "e2@x.test", "e3@x.test", "test@test.com")))
        from phone in Gen.Frequency((4, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("07700 900123", "+447700900123", "07700 900999")))
        from key in Gen.Choose(0, TraitKeys.Length - 1)
        from value in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Gen.Elements<string?>("Ada", "Bob", "pro", "free", "Paris")))
        from minutes in Gen.Choose(-120, 120)
        from rejected in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Msg(source, type, user, anon, email, phone, key, value, minutes, rejected);

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property Process_InRunsWithRestarts_EqualsRebuildFromTheLake()
    {
        var runs = Gen.Choose(1, 7).ArrayOf().Where(a => a.Length > 0);
        return Prop.ForAll(MessageGen.ListOf().Where(l => l.Count is > 0 and <= 60).ToArbitrary(), runs.ToArbitrary(), (messages, runSizes) =>
        {
            WriteLake(messages);
            var store = new UnificationStore(_connection);
            var rules = IdentityRules.Default;

            store.Clear();
            var checkpoint = 0L;
            for (var run = 0; ; run++)
            {
                var batch = store.ReadLake(checkpoint, runSizes[run % runSizes.Length]);
                if (batch.Count == 0)
                {
                    break;
                }
                var engine = new UnificationEngine(store.RestoreGraph(rules)); // a restart before every run
                var changes = engine.Process(batch);
                store.Apply(changes, DateTime.UtcNow);
                checkpoint = store.ReadCheckpoint();
            }
            var incremental = Snapshot();

            store.Clear();
            var rebuild = new UnificationEngine(store.RestoreGraph(rules)).Process(store.ReadLake(0, int.MaxValue));
            store.Apply(rebuild, DateTime.UtcNow);
            var rebuilt = Snapshot();

            return incremental.SequenceEqual(rebuilt).Label($"incremental:\n{string.Join("\n", incremental)}\nrebuild:\n{string.Join("\n", rebuilt)}");
        });
    }

    private void WriteLake(List<Msg> messages)
    {
        using var transaction = _connection.BeginTransaction();
        Execute(transaction, "DELETE FROM RawMessages");
        var start = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var payload = new JsonObject { ["type"] = m.Type };
            if (m.UserId is not null) payload["userId"] = m.UserId;
            if (m.AnonymousId is not null) payload[m.Type == "alias" ? "previousId" : "anonymousId"] = m.AnonymousId;
            if (m.Type == "identify")
            {
                var traits = new JsonObject();
                if (m.Email is not null) traits["email"] = m.Email;
                if (m.Phone is not null) traits["phone"] = m.Phone;
                var path = TraitKeys[m.TraitKey].Split('.');
                var target = traits;
                foreach (var part in path[..^1])
                {
                    target = (JsonObject)(target[part] ??= new JsonObject());
                }
                target[path[^1]] = m.TraitValue;
                payload["traits"] = traits;
            }
            else
            {
                payload["event"] = "Clicked";
                if (m.Email is not null) payload["context"] = new JsonObject { ["traits"] = new JsonObject { ["email"] = m.Email } };
            }
            Execute(transaction,
                "INSERT INTO RawMessages (SourceId, MessageId, Type, ReceivedAt, EventAt, Payload, Status) VALUES ($s, $id, $t, $r, $e, $p, $st)",
                ("$s", m.Source), ("$id", $"m{i}"), ("$t", m.Type), ("$r", start.AddMinutes(i)), ("$e", start.AddMinutes(i + m.MinutesOffset)),
                ("$p", payload.ToJsonString()), ("$st", m.Rejected ? 2 : 1));
        }
        transaction.Commit();
    }

    /// <summary>Each live profile as its identities, fragments and events, in a stable order.</summary>
    private List<string> Snapshot()
    {
        var rows = new List<string>();
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT p.FirstMessageId,
                   (SELECT group_concat(Namespace || ':' || Value, ' ') FROM (SELECT Namespace, Value FROM Identities WHERE ProfileId = p.Id ORDER BY Namespace, Value)),
                   (SELECT group_concat(SourceId || '/' || Key || '=' || ifnull(ValueJson, 'null') || '@' || EventAt, ' ') FROM (SELECT * FROM ProfileAttributes WHERE ProfileId = p.Id ORDER BY SourceId, Key)),
                   (SELECT group_concat(MessageId, ' ') FROM (SELECT MessageId FROM ProfileEvents WHERE ProfileId = p.Id ORDER BY MessageId))
            FROM Profiles p WHERE p.MergedIntoId IS NULL
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add($"[{(reader.IsDBNull(1) ? "" : reader.GetString(1))}] first={reader.GetInt64(0)} attrs=({(reader.IsDBNull(2) ? "" : reader.GetString(2))}) events=({(reader.IsDBNull(3) ? "" : reader.GetString(3))})");
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private void Execute(SqliteTransaction transaction, string sql, params (string, object)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Dispose();
    }
}
