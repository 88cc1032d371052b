using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Segments;

/// <summary>A rule as a SQLite condition on the profile row <c>p</c> (table <c>Profiles</c>), with its parameters.</summary>
public sealed record SegmentSqlCondition(string Sql, IReadOnlyList<SqliteParameter> Parameters);

/// <summary>
/// The all-profiles path: a rule translated into one SQLite query over the stored tables, for estimates and
/// batch evaluation. Selects exactly the profiles <see cref="SegmentEvaluator"/> matches when given
/// <see cref="SegmentProfileFacts.FromStored"/> of the same rows (a property test holds them together).
/// Values are always bound as parameters, never written into the SQL text.
/// </summary>
/// <remarks>
/// <para>Profiles: those not merged into another (<c>MergedIntoId IS NULL</c>).</para>
/// <para>Attributes: the value <see cref="SegmentProfileFacts.AttributeRule"/> picks ("Most recent"): the row of
/// the key whose (EventAt, MessageId, −SourceId, key length) is greatest among the key and the keys above it;
/// present when that row is the key's own and not null, and no key under it is present.</para>
/// <para>Events: track events (<see cref="TrackEvents"/>); a page or screen view under the same name is not performing it.</para>
/// <para>Event properties and attribute values are read with <c>json_type</c> / <c>json_extract</c>; text that
/// is not JSON reads as a string (attributes) or as no properties (events), as in memory.</para>
/// <para>Segment conditions read the memberships from the temporary table <see cref="MembershipTable"/>
/// (<c>SegmentId</c>, <c>ProfileId</c>) on the same connection: fill it with <see cref="LoadMembershipsAsync"/>
/// before running a rule that refers to other segments. (When the SegmentMemberships table exists, the
/// translator will read its realized rows instead.)</para>
/// </remarks>
public static class SegmentSql
{
    public const string MembershipTable = "temp.SegmentMembershipInput";

    // JSON whitespace, for the stored "null" that is a removal.
    private const string JsonSpace = "' ' || char(9, 10, 13)";
    private const string DateGlob = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'";

    public static SegmentSqlCondition Translate(SegmentRule rule, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var writer = new Writer(SegmentValues.AsUtc(now));
        var sql = writer.Node(rule.Root);
        return new SegmentSqlCondition(sql, writer.Parameters);
    }

    /// <summary>The full counting query (for EXPLAIN QUERY PLAN and the bench).</summary>
    public static SegmentSqlCondition CountQuery(SegmentRule rule, DateTime now)
    {
        var condition = Translate(rule, now);
        return condition with { Sql = $"SELECT count(*) FROM Profiles p WHERE p.MergedIntoId IS NULL AND {condition.Sql}" };
    }

    public static async Task<long> CountAsync(SqliteConnection connection, SegmentRule rule, DateTime now, CancellationToken cancellationToken = default)
    {
        await using var command = Command(connection, CountQuery(rule, now));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The matching profile ids in id order, at most <paramref name="limit"/> (null: all).</summary>
    public static async Task<List<long>> ProfileIdsAsync(SqliteConnection connection, SegmentRule rule, DateTime now, int? limit = null, CancellationToken cancellationToken = default)
    {
        var condition = Translate(rule, now);
        var sql = $"SELECT p.Id FROM Profiles p WHERE p.MergedIntoId IS NULL AND {condition.Sql} ORDER BY p.Id" + (limit is { } l ? $" LIMIT {l.ToString(CultureInfo.InvariantCulture)}" : "");
        await using var command = Command(connection, condition with { Sql = sql });
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    /// <summary>(Re)creates <see cref="MembershipTable"/> on this connection with the given memberships.</summary>
    public static async Task LoadMembershipsAsync(SqliteConnection connection, IEnumerable<(long SegmentId, long ProfileId)> memberships, CancellationToken cancellationToken = default)
    {
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = $"DROP TABLE IF EXISTS {MembershipTable}; CREATE TABLE {MembershipTable} (SegmentId INTEGER NOT NULL, ProfileId INTEGER NOT NULL, PRIMARY KEY (SegmentId, ProfileId)) WITHOUT ROWID;";
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.Transaction = (SqliteTransaction)transaction;
        insert.CommandText = $"INSERT OR IGNORE INTO {MembershipTable} (SegmentId, ProfileId) VALUES ($s, $p)";
        var segment = insert.Parameters.Add("$s", SqliteType.Integer);
        var profile = insert.Parameters.Add("$p", SqliteType.Integer);
        foreach (var (segmentId, profileId) in memberships)
        {
            segment.Value = segmentId;
            profile.Value = profileId;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Sum and average of an aggregate in SQL: <see cref="NumberSum"/>'s, as the evaluator and the index add (SQLite's total() and avg() add doubles).</summary>
    private const string SumFunction = "ps_number_sum";
    private const string AverageFunction = "ps_number_avg";

    private static NumberSum Add(NumberSum sum, double? value)
    {
        if (value is { } x)
        {
            sum.Add(x);
        }
        return sum;
    }

    public static SqliteCommand Command(SqliteConnection connection, SegmentSqlCondition query)
    {
        if (query.Sql.Contains(SumFunction, StringComparison.Ordinal) || query.Sql.Contains(AverageFunction, StringComparison.Ordinal))
        {
            // On this connection only, before the statement is prepared (registering again replaces the same function).
            connection.CreateAggregate(SumFunction, default(NumberSum), (NumberSum sum, double? value) => Add(sum, value), (NumberSum sum) => sum.Sum, isDeterministic: true);
            connection.CreateAggregate(AverageFunction, default(NumberSum), (NumberSum sum, double? value) => Add(sum, value), (NumberSum sum) => sum.Average, isDeterministic: true);
        }
        var command = connection.CreateCommand();
        command.CommandText = query.Sql;
        foreach (var parameter in query.Parameters)
        {
            command.Parameters.Add(new SqliteParameter(parameter.ParameterName, parameter.Value));
        }
        return command;
    }

    private sealed class Writer(DateTime now)
    {
        public List<SqliteParameter> Parameters { get; } = [];

        private string Bind(object value)
        {
            var name = "$p" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
            Parameters.Add(new SqliteParameter(name, value));
            return name;
        }

        public string Node(SegmentNode node) => node switch
        {
            GroupNode group => Group(group),
            AttributeCondition a => Attribute(a),
            EventCondition e => Event(e),
            IdentityCondition i => $"{(i.Has ? "" : "NOT ")}EXISTS (SELECT 1 FROM Identities i WHERE i.ProfileId = p.Id AND i.Namespace = {Bind(i.Namespace)})",
            SegmentCondition s => $"{(s.IsIn ? "" : "NOT ")}EXISTS (SELECT 1 FROM {MembershipTable} m WHERE m.SegmentId = {Bind(s.SegmentId)} AND m.ProfileId = p.Id)",
            _ => throw new ArgumentOutOfRangeException(nameof(node), node.GetType().Name, "Unknown node type."),
        };

        private string Group(GroupNode group)
        {
            if (group.Children.Count == 0)
            {
                return group.Kind == GroupKind.AnyOf ? "0" : "1";
            }
            var children = group.Children.Select(Node).ToList();
            return group.Kind switch
            {
                GroupKind.AllOf => "(" + string.Join(" AND ", children) + ")",
                GroupKind.AnyOf => "(" + string.Join(" OR ", children) + ")",
                _ => "NOT (" + string.Join(" OR ", children) + ")",
            };
        }

        /// <summary>
        /// EXISTS a row of the key that wins under the attribute rule and is present, and passes the test.
        /// A row wins when no row of the key or a key above it is more recent (with the tie-breaks), and no
        /// key under it is present (then the key is an object of those keys, not a value).
        /// </summary>
        private string Attribute(AttributeCondition condition)
        {
            var key = condition.Path;
            var candidates = new[] { key }.Concat(MergePolicyEvaluator.Ancestors(key)).Select(k => Bind(k)).ToList();
            var keyParameter = candidates[0];
            var sql = new StringBuilder();
            sql.Append("EXISTS (SELECT 1 FROM ProfileAttributes a WHERE a.ProfileId = p.Id AND a.Key = ").Append(keyParameter)
                .Append($" AND {Present("a")}")
                .Append(" AND NOT EXISTS (SELECT 1 FROM ProfileAttributes b WHERE b.ProfileId = p.Id AND b.Key IN (")
                .Append(string.Join(", ", candidates)).Append($") AND {Beats("b", "a")})")
                .Append(" AND NOT EXISTS (SELECT 1 FROM ProfileAttributes d WHERE d.ProfileId = p.Id AND d.Key >= ")
                .Append(Bind(key + ".")).Append(" AND d.Key < ").Append(Bind(key + "/"))
                .Append($" AND {Present("d")}")
                .Append(" AND NOT EXISTS (SELECT 1 FROM ProfileAttributes c WHERE c.ProfileId = p.Id")
                .Append(" AND (c.Key = d.Key OR (length(c.Key) < length(d.Key) AND substr(d.Key, 1, length(c.Key) + 1) = c.Key || '.'))")
                .Append($" AND {Beats("c", "d")}))");
            var test = condition.Test;
            if (test.Operator is ValueOperator.Exists or ValueOperator.NotExists)
            {
                sql.Append(')');
                return (test.Operator == ValueOperator.NotExists ? "NOT " : "") + sql;
            }
            // A stored text that is not JSON reads as a string of itself (MergePolicyEvaluator does the same).
            var type = "(CASE WHEN json_valid(a.ValueJson) THEN json_type(a.ValueJson) ELSE 'text' END)";
            var value = "(CASE WHEN json_valid(a.ValueJson) THEN json_extract(a.ValueJson, '$') ELSE a.ValueJson END)";
            sql.Append(" AND ").Append(Test(test, type, value)).Append(')');
            return sql.ToString();
        }

        private static string Present(string alias) => $"{alias}.ValueJson IS NOT NULL AND trim({alias}.ValueJson, {JsonSpace}) <> 'null'";

        // MergePolicyEvaluator's recency order: later event, later message, lower source id, more specific key.
        private static string Beats(string x, string y) =>
            $"({x}.EventAt, {x}.MessageId, -{x}.SourceId, length({x}.Key)) > ({y}.EventAt, {y}.MessageId, -{y}.SourceId, length({y}.Key))";

        /// <summary>A test other than exists / not exists of a present value with the given JSON type and SQL value expressions.</summary>
        private string Test(ValueTest test, string type, string value)
        {
            switch (test.Type)
            {
                case ValueTestType.Text:
                    var text = test.Text ?? "";
                    var op = test.Operator switch
                    {
                        ValueOperator.Equals => $"{value} = {Bind(text)}",
                        ValueOperator.NotEquals => $"{value} <> {Bind(text)}",
                        ValueOperator.Contains => $"instr({value}, {Bind(text)}) > 0",
                        ValueOperator.StartsWith => $"substr({value}, 1, length({Bind(text)})) = {Bind(text)}",
                        ValueOperator.EndsWith => $"length({value}) >= length({Bind(text)}) AND substr({value}, -length({Bind(text)})) = {Bind(text)}",
                        ValueOperator.InList => $"{value} IN (SELECT value FROM json_each({Bind(System.Text.Json.JsonSerializer.Serialize(test.Texts ?? []))}))",
                        _ => "0",
                    };
                    if (test.Operator is ValueOperator.Contains or ValueOperator.StartsWith or ValueOperator.EndsWith && text.Length == 0)
                    {
                        op = "0";
                    }
                    return $"{type} = 'text' AND {op}";
                case ValueTestType.Number:
                    return $"{type} IN ('integer', 'real') AND {Number(test, value)}";
                case ValueTestType.Boolean:
                    return test.Operator switch
                    {
                        ValueOperator.IsTrue => $"{type} = 'true'",
                        ValueOperator.IsFalse => $"{type} = 'false'",
                        _ => "0",
                    };
                case ValueTestType.Date:
                    var (low, high) = SegmentValues.DateBounds(test, now);
                    var julian = $"julianday({value})";
                    var range = (low, high) switch
                    {
                        ({ } l, { } h) => $"{julian} BETWEEN {Bind(SegmentValues.JulianDay(l))} AND {Bind(SegmentValues.JulianDay(h))}",
                        ({ } l, null) => $"{julian} >= {Bind(SegmentValues.JulianDay(l))}",
                        (null, { } h) => $"{julian} <= {Bind(SegmentValues.JulianDay(h))}",
                        _ => "1",
                    };
                    return $"{type} = 'text' AND {value} GLOB {DateGlob} AND {range}";
                default:
                    return "0";
            }
        }

        /// <summary>A number comparison; NULL when the value or a bound is missing (callers make NULL false).</summary>
        private string Number(ValueTest test, string value)
        {
            if (test.Number is not { } n)
            {
                return "0";
            }
            return test.Operator switch
            {
                ValueOperator.Equals => $"{value} = {Bind(n)}",
                ValueOperator.NotEquals => $"{value} <> {Bind(n)}",
                ValueOperator.LessThan => $"{value} < {Bind(n)}",
                ValueOperator.LessOrEqual => $"{value} <= {Bind(n)}",
                ValueOperator.GreaterThan => $"{value} > {Bind(n)}",
                ValueOperator.GreaterOrEqual => $"{value} >= {Bind(n)}",
                ValueOperator.Between when test.NumberTo is { } to => $"{value} BETWEEN {Bind(n)} AND {Bind(to)}",
                _ => "0",
            };
        }

        private string Event(EventCondition condition)
        {
            var where = new StringBuilder($"e.ProfileId = p.Id AND {TrackEvents.SqlOf("e")} AND e.Name = {Bind(condition.EventName)}");
            var (from, to) = SegmentEvaluator.WindowBounds(condition.Window, now);
            if (from is { } f)
            {
                where.Append($" AND e.EventAt >= {Bind(f)}");
            }
            if (to is { } t)
            {
                where.Append($" AND e.EventAt <= {Bind(t)}");
            }
            const string properties = "(CASE WHEN json_valid(e.PropertiesJson) THEN e.PropertiesJson ELSE '{}' END)";
            foreach (var property in condition.Properties)
            {
                var path = Bind(JsonPath(property.Path));
                var type = $"json_type({properties}, {path})";
                var value = $"json_extract({properties}, {path})";
                var present = $"coalesce({type}, 'null') <> 'null'";
                where.Append(" AND ").Append(property.Test.Operator switch
                {
                    ValueOperator.Exists => present,
                    ValueOperator.NotExists => $"NOT ({present})",
                    _ => $"coalesce({present} AND {Test(property.Test, type, value)}, 0)",
                });
            }
            var count = condition.Count switch
            {
                null => "count(*) >= 1",
                { Operator: CountOperator.AtLeast } c => $"count(*) >= {Bind(c.Times)}",
                { Operator: CountOperator.AtMost } c => $"count(*) <= {Bind(c.Times)}",
                var c => $"count(*) = {Bind(c.Times)}",
            };
            var select = count;
            if (condition.Aggregate is { } aggregate)
            {
                var path = Bind(JsonPath(aggregate.Path));
                var number = $"(CASE WHEN json_type({properties}, {path}) IN ('integer', 'real') THEN json_extract({properties}, {path}) END)";
                var function = aggregate.Function switch
                {
                    AggregateFunction.Sum => $"{SumFunction}({number})",
                    AggregateFunction.Avg => $"{AverageFunction}({number})",
                    AggregateFunction.Min => $"min({number})",
                    _ => $"max({number})",
                };
                select = $"{count} AND coalesce({Number(aggregate.Test, function)}, 0)";
            }
            var performed = $"coalesce((SELECT {select} FROM ProfileEvents e WHERE {where}), 0)";
            return condition.Performed ? performed : $"NOT {performed}";
        }

        /// <summary><c>a.b</c> as SQLite's JSON path <c>$."a"."b"</c> (names quoted, so they are never read as array indexes).</summary>
        private static string JsonPath(string path) => "$" + string.Concat(path.Split('.').Select(s => ".\"" + s + "\""));
    }
}
