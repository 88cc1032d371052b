using Microsoft.Data.Sqlite;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// The worker's side of deleting a profile: removes it (and the merged ids that redirect to it, whose ids are kept in DeletedProfiles so none is reused), its
/// identities, their links, its attributes and events in one transaction; when erasing, also the
/// identity decisions about it and every accepted lake message that carried one of its identities
/// (found through its events' and fragments' messages and by reading the messages in each identity's
/// first..last range), so a rebuild from the lake cannot bring it back. Run by the unification
/// worker between catch-ups, which then restores its identity graph from the store.
/// </summary>
public sealed partial class SqliteProfileDeletion(SqliteConnection connection)
{
    private const int ScanChunk = 2_000;

    /// <summary>Null when the profile does not exist or was merged into another (delete the survivor).</summary>
    public ProfileDeletionOutcome? Run(long profileId, bool eraseFromLake, IdentityRules rules, DateTime now)
    {
        // Deleted rows are overwritten with zeros instead of left in free pages, and the write-ahead log,
        // which still holds the pages as they were, is emptied afterwards: the person's values cannot be
        // read back from the database files. Only for this connection and this deletion (the setting costs
        // writes elsewhere; see the README's benchmark note).
        var secureDelete = Scalar("PRAGMA secure_delete", profileId);
        Pragma("PRAGMA secure_delete=ON");
        ProfileDeletionOutcome? outcome;
        try
        {
            outcome = Delete(profileId, eraseFromLake, rules, now);
            if (outcome is not null)
            {
                ScrubFreePages();
            }
        }
        finally
        {
            Pragma($"PRAGMA secure_delete={secureDelete}");
        }
        if (outcome is not null)
        {
            TruncateLog();
        }
        return outcome;
    }

    /// <summary>
    /// Copies every page of the log into the database file and truncates the log to zero bytes. It waits for
    /// readers still on an older snapshot (the busy timeout), and tries again a few times when one holds on.
    /// </summary>
    private void TruncateLog()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var reader = command.ExecuteReader();
            if (reader.Read() && reader.GetInt64(0) == 0)
            {
                return;
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// Pages freed before this deletion (a rebuild's old tables, rows other connections deleted) still hold
    /// what they held. They are taken from the free list by a scratch table of zeros and freed again: after
    /// that, every free page is zeros. The cost is one write per free page, paid only by a deletion.
    /// </summary>
    private void ScrubFreePages()
    {
        var free = Scalar("PRAGMA freelist_count", 0);
        if (free == 0)
        {
            return;
        }
        var pageSize = Scalar("PRAGMA page_size", 0);
        const long ChunkBytes = 16L * 1024 * 1024;
        using var transaction = connection.BeginTransaction();
        Execute(transaction, "CREATE TABLE main.ProfileDeletionScrub (Zeros BLOB)");
        // An overflow page carries page_size - 4 bytes of a large blob; a little extra covers the table's own pages.
        var remaining = (free + 2) * (pageSize - 4);
        while (remaining > 0)
        {
            var bytes = Math.Min(remaining, ChunkBytes);
            Execute(transaction, $"INSERT INTO main.ProfileDeletionScrub (Zeros) VALUES (zeroblob({bytes}))");
            remaining -= bytes;
        }
        Execute(transaction, "DROP TABLE main.ProfileDeletionScrub");
        transaction.Commit();
    }

    private void Pragma(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private ProfileDeletionOutcome? Delete(long profileId, bool eraseFromLake, IdentityRules rules, DateTime now)
    {
        if (Scalar("SELECT count(*) FROM Profiles WHERE Id = $p AND MergedIntoId IS NULL", profileId) == 0)
        {
            return null;
        }
        var profiles = Longs("""
            WITH RECURSIVE chain(Id) AS (SELECT $p UNION SELECT p.Id FROM Profiles p JOIN chain c ON p.MergedIntoId = c.Id)
            SELECT Id FROM chain
            """, profileId);
        var idList = string.Join(",", profiles);
        var lake = eraseFromLake ? LakeMessagesOf(profileId, idList, rules) : [];
        if (eraseFromLake)
        {
            lake.UnionWith(RejectedMessagesOf(idList, lake, rules));
        }

        using var transaction = connection.BeginTransaction();
        // Every per-profile table removes the profile's rows as the register says.
        var removed = new Dictionary<string, int>();
        foreach (var table in ProfileOwnedData.Tables)
        {
            if (table.RecordDelete is { } record)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = record(ProfileTables.Live).Replace(ProfileOwnedTable.Ids, idList, StringComparison.Ordinal);
                command.Parameters.AddWithValue("$now", now);
                command.Parameters.AddWithValue("$day", DateTime.SpecifyKind(now.Date, DateTimeKind.Utc));
                command.ExecuteNonQuery();
            }
            var rows = table.Delete is { } delete ? Execute(transaction, delete(ProfileTables.Live).Replace(ProfileOwnedTable.Ids, idList, StringComparison.Ordinal)) : 0;
            if (eraseFromLake && table.Erase is { } erase)
            {
                rows += Execute(transaction, erase(ProfileTables.Live).Replace(ProfileOwnedTable.Ids, idList, StringComparison.Ordinal));
            }
            removed[table.Name] = rows;
        }
        var deleted = Execute(transaction, $"DELETE FROM Profiles WHERE Id IN ({idList})");
        using (var tombstone = connection.CreateCommand())
        {
            tombstone.Transaction = transaction;
            tombstone.CommandText = $"INSERT OR IGNORE INTO DeletedProfiles (Id, DeletedAt, ErasedFromLake) SELECT value, $at, $erased FROM json_each('[{idList}]')";
            tombstone.Parameters.AddWithValue("$at", now);
            tombstone.Parameters.AddWithValue("$erased", eraseFromLake);
            tombstone.ExecuteNonQuery();
        }
        using (var feed = connection.CreateCommand())
        {
            feed.Transaction = transaction;
            feed.CommandText = $"INSERT INTO ProfileChanges (At, ProfileId, Kinds, OtherProfileId) SELECT $at, value, $kinds, NULL FROM json_each('[{idList}]')";
            feed.Parameters.AddWithValue("$at", now);
            feed.Parameters.AddWithValue("$kinds", (int)ChangeFeed.ProfileChangeKinds.Deleted);
            feed.ExecuteNonQuery();
        }
        var messages = 0;
        if (eraseFromLake)
        {
            foreach (var chunk in lake.Chunk(500))
            {
                messages += Execute(transaction, $"DELETE FROM RawMessages WHERE Id IN ({string.Join(",", chunk)})");
            }
        }
        transaction.Commit();
        return new ProfileDeletionOutcome(profileId, deleted, removed["Identities"], removed["ProfileAttributes"], removed["ProfileEvents"], messages, eraseFromLake);
    }

    /// <summary>The accepted lake messages that carried one of the profile's identities (or made its events and fragments).</summary>
    private SortedSet<long> LakeMessagesOf(long profileId, string idList, IdentityRules rules)
    {
        var found = new SortedSet<long>(Longs($"""
            SELECT MessageId FROM ProfileEvents WHERE ProfileId IN ({idList})
            UNION SELECT MessageId FROM ProfileAttributes WHERE ProfileId IN ({idList})
            UNION SELECT FirstMessageId FROM Identities WHERE ProfileId IN ({idList})
            UNION SELECT LastMessageId FROM Identities WHERE ProfileId IN ({idList})
            """, profileId));
        var identities = new List<(IdentityKey Key, long First, long Last)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT Namespace, Value, FirstMessageId, LastMessageId FROM Identities WHERE ProfileId IN ({idList})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                identities.Add((new IdentityKey(reader.GetString(0), reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }
        // Every message that carried an identity lies in its first..last range: read those ranges once.
        foreach (var (from, to) in Ranges(identities.Select(i => (i.First, i.Last))))
        {
            var after = from - 1;
            while (true)
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT Id, Payload FROM RawMessages WHERE Id > $after AND Id <= $to AND Status = 1 ORDER BY Id LIMIT $take";
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$to", to);
                command.Parameters.AddWithValue("$take", ScanChunk);
                using var reader = command.ExecuteReader();
                var read = 0;
                while (reader.Read())
                {
                    read++;
                    after = reader.GetInt64(0);
                    var payload = reader.GetString(1);
                    if (identities.Any(i => after >= i.First && after <= i.Last && ProfileReader.Carries(payload, i.Key, rules)))
                    {
                        found.Add(after);
                    }
                }
                if (read < ScanChunk)
                {
                    break;
                }
            }
        }
        return found;
    }

    /// <summary>
    /// The rejected lake messages (a call refused for its shape, a file row or line with the reason) that hold one of the
    /// person's identifiers, as the engine stores it or as any of the person's accepted messages spelled it
    /// (<c>07779 672805</c> for <c>+447779672805</c>, an e-mail's capitals). Nothing links a rejected message to a
    /// profile, so they are found by their text: every rejected row is read once (a partial index holds them), and an
    /// identifier counts as written plain or JSON-escaped, whatever its case.
    /// </summary>
    private List<long> RejectedMessagesOf(string idList, IEnumerable<long> accepted, IdentityRules rules)
    {
        var identities = new HashSet<IdentityKey>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT Namespace, Value FROM Identities WHERE ProfileId IN ({idList})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                identities.Add(new IdentityKey(reader.GetString(0), reader.GetString(1)));
            }
        }
        var spellings = identities.Select(i => i.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var chunk in accepted.Chunk(500))
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT Payload FROM RawMessages WHERE Id IN ({string.Join(",", chunk)})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                try
                {
                    if (System.Text.Json.Nodes.JsonNode.Parse(reader.GetString(0), documentOptions: Ingestion.StoredJson.DocumentOptions) is System.Text.Json.Nodes.JsonObject payload)
                    {
                        spellings.UnionWith(IdentityExtractor.Extract(payload, rules).Where(e => e.Key is { } key && identities.Contains(key)).Select(e => e.Raw.Trim()));
                    }
                }
                catch (System.Text.Json.JsonException)
                {
                    // an accepted message is readable; one that is not adds no spelling
                }
            }
        }
        var needles = spellings.Where(s => s.Length >= 3) // a one- or two-character id would match everywhere; such ids are blocked values anyway
            .SelectMany(s => new[]
            {
                s,
                System.Text.Json.JsonEncodedText.Encode(s).ToString(),
                System.Text.Json.JsonEncodedText.Encode(s, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
            })
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var found = new List<long>();
        if (needles.Count == 0)
        {
            return found;
        }
        var after = 0L;
        while (true)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT Id, Payload FROM RawMessages WHERE Status = 2 AND Id > $after ORDER BY Id LIMIT $take";
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$take", ScanChunk);
            using var reader = command.ExecuteReader();
            var read = 0;
            while (reader.Read())
            {
                read++;
                after = reader.GetInt64(0);
                var payload = reader.GetString(1);
                var decoded = DecodedText(payload);
                if (needles.Any(n => ContainsWhole(payload, n) || ContainsWhole(decoded, n)))
                {
                    found.Add(after);
                }
            }
            if (read < ScanChunk)
            {
                return found;
            }
        }
    }

    /// <summary>
    /// A rejected payload's text as people read it: the strings and names of its JSON decoded (a kept file line is one
    /// string whose quotes are stored as <c>\u0022</c>), then any <c>\uXXXX</c> escape left in them decoded too (a malformed
    /// body kept as text may spell an id <c>\u0075\u0069\u0064</c>).
    /// </summary>
    internal static string DecodedText(string payload)
    {
        var text = new System.Text.StringBuilder(payload.Length);
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(payload), new System.Text.Json.JsonReaderOptions { MaxDepth = Ingestion.StoredJson.MaxDepth });
            while (reader.Read())
            {
                if (reader.TokenType is System.Text.Json.JsonTokenType.String or System.Text.Json.JsonTokenType.PropertyName)
                {
                    text.Append(reader.GetString()).Append('\n');
                }
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            text.Clear().Append(payload); // not JSON (or a lone surrogate): the text as it is
        }
        return UnicodeEscape().Replace(text.ToString(), m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\\u([0-9a-fA-F]{4})")]
    private static partial System.Text.RegularExpressions.Regex UnicodeEscape();

    /// <summary>Whether <paramref name="needle"/> occurs in <paramref name="text"/> (any case) not inside a longer word: "u-1" is not in "u-12".</summary>
    internal static bool ContainsWhole(string text, string needle)
    {
        for (var at = text.IndexOf(needle, StringComparison.OrdinalIgnoreCase); at >= 0;
             at = at + 1 < text.Length ? text.IndexOf(needle, at + 1, StringComparison.OrdinalIgnoreCase) : -1)
        {
            var end = at + needle.Length;
            if ((at == 0 || !char.IsLetterOrDigit(text[at - 1]) || !char.IsLetterOrDigit(needle[0]))
                && (end == text.Length || !char.IsLetterOrDigit(text[end]) || !char.IsLetterOrDigit(needle[^1])))
            {
                return true;
            }
        }
        return false;
    }

    private static IEnumerable<(long From, long To)> Ranges(IEnumerable<(long First, long Last)> ranges)
    {
        (long From, long To)? current = null;
        foreach (var (first, last) in ranges.OrderBy(r => r.First))
        {
            if (current is { } c && first <= c.To + 1)
            {
                current = (c.From, Math.Max(c.To, last));
                continue;
            }
            if (current is { } done)
            {
                yield return done;
            }
            current = (first, last);
        }
        if (current is { } end)
        {
            yield return end;
        }
    }

    private int Execute(SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private long Scalar(string sql, long profileId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", profileId);
        return (long)command.ExecuteScalar()!;
    }

    private List<long> Longs(string sql, long profileId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", profileId);
        using var reader = command.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }
        return values;
    }
}
