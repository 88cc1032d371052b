using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Ingestion;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

/// <summary>The unification worker in the real app: a message it cannot process is set aside, and every later message still reaches its profile.</summary>
public sealed class UnificationWorkerTests : IClassFixture<IngestionAppFactory>
{
    private readonly IngestionAppFactory _app;

    public UnificationWorkerTests(IngestionAppFactory app) => _app = app;

    [Fact]
    public async Task AMessageThatFailsUnification_IsSetAside_LaterMessagesAreUnified_AndARetryAfterTheFixProcessesIt()
    {
        var client = _app.CreateWriteKeyClient(IngestionAppFactory.WriteKeyOf("Web"));
        // Today's engine reads any shape; a failure it cannot foresee is injected where the run is written.
        Execute("CREATE TRIGGER refuse_poison BEFORE INSERT ON ProfileEvents WHEN NEW.Name = 'Poison' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/track", new { userId = "worker-p1", @event = "Poison" })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/identify", new { userId = "worker-p2", traits = new { plan = "pro" } })).StatusCode);

            await Poll.UntilAsync(() => PlanOfAsync("worker-p2"), plan => plan == "\"pro\"", "the message after the poison one to be unified");
            var aside = await Poll.UntilAsync(SetAsideAsync, rows => rows.Count == 1, "the poison message to be set aside");
            Assert.Contains("injected failure", aside[0].SetAside.Reason);
            Assert.Equal("track", aside[0].Message.Type);
        }
        finally
        {
            Execute("DROP TRIGGER IF EXISTS refuse_poison");
        }

        var poison = _app.Services.GetRequiredService<PoisonMessages>();
        Assert.Equal(1, await poison.RequestRetryAsync(new AuditActor(null, "test"), null));

        await Poll.UntilAsync(SetAsideAsync, rows => rows.Count == 0, "the retried message to leave the set-aside list");
        await using var db = await _app.DbAsync();
        Assert.True(await db.ProfileEvents.AnyAsync(e => e.Name == "Poison"));
        Assert.Contains(await db.AuditEntries.Select(a => a.Action).ToListAsync(), a => a == AuditActions.SetAsideRetryRequested);
    }

    private async Task<IReadOnlyList<PoisonMessage>> SetAsideAsync() =>
        (await _app.Services.GetRequiredService<PoisonMessages>().QueryAsync(new(), 0, 10)).Messages;

    private async Task<string?> PlanOfAsync(string userId)
    {
        await using var db = await _app.DbAsync();
        return await (from i in db.Identities
                      join a in db.ProfileAttributes on i.ProfileId equals a.ProfileId
                      where i.Namespace == "user_id" && i.Value == userId && a.Key == "plan"
                      select a.ValueJson).FirstOrDefaultAsync();
    }

    private void Execute(string sql)
    {
        _ = _app.Server; // started and migrated
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(_app.DataDirectory));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
