using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Segments;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Segments;

public sealed class SegmentSqlTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _directory = new();
    private readonly SqliteConnection _connection;

    public SegmentSqlTests()
    {
        using (var db = new ProfileStudioDbContext(new DbContextOptionsBuilder<ProfileStudioDbContext>().UseSqlite(_directory.ConnectionString).Options))
        {
            db.Database.Migrate();
        }
        _connection = new SqliteConnection(_directory.ConnectionString);
        _connection.Open();
        using var command = _connection.CreateCommand();
        command.CommandText = """
            INSERT INTO Profiles (Id, CreatedAt, UpdatedAt, MergedIntoId, FirstMessageId, LastMessageId) VALUES (1, $t, $t, NULL, 0, 0), (2, $t, $t, NULL, 0, 0), (3, $t, $t, 1, 0, 0);
            INSERT INTO ProfileAttributes (ProfileId, SourceId, Key, ValueJson, EventAt, MessageId) VALUES
              (1, 1, 'name', '"O''Brien''); DROP TABLE Profiles;--"', $t, 1), (2, 1, 'name', '"Ada"', $t, 1), (3, 1, 'name', '"Ada"', $t, 1);
            """;
        command.Parameters.AddWithValue("$t", Now);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Translate_HostileText_IsBoundNeverWrittenIntoTheSql()
    {
        const string hostile = "O'Brien'); DROP TABLE Profiles;--";
        var rule = new SegmentRule(new AttributeCondition("c", "name", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = hostile }));

        var query = SegmentSql.CountQuery(rule, Now);

        Assert.DoesNotContain("Brien", query.Sql);
        Assert.Contains(query.Parameters, p => Equals(p.Value, hostile));
        Assert.Equal([1L], await SegmentSql.ProfileIdsAsync(_connection, rule, Now));
    }

    [Fact]
    public async Task Count_MergedProfiles_AreLeftOut()
    {
        var rule = new SegmentRule(new AttributeCondition("c", "name", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "Ada" }));

        Assert.Equal(1, await SegmentSql.CountAsync(_connection, rule, Now)); // profile 3 was merged into 1
    }

    [Fact]
    public async Task SegmentCondition_ReadsTheMembershipsLoadedOnTheConnection()
    {
        var rule = new SegmentRule(new SegmentCondition("s", 7, IsIn: true));
        await SegmentSql.LoadMembershipsAsync(_connection, [(7L, 2L), (8L, 1L)]);

        Assert.Equal([2L], await SegmentSql.ProfileIdsAsync(_connection, rule, Now));
        Assert.Equal([1L], await SegmentSql.ProfileIdsAsync(_connection, new SegmentRule(new SegmentCondition("s", 7, IsIn: false)), Now));
    }
}
