using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Unification;

public sealed class UnificationJobsTests
{
    private static readonly AuditActor Admin = new("u1", "admin@example.com");

    [Fact]
    public async Task RemoveIdentity_QueuesASplitWithNeverLinkRulesAgainstEveryOtherIdentity_Audited()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedProfileAsync(studio, 7, ("user_id", "ada"), ("anonymous_id", "a1"), ("email", "ada@example.com"));
        var jobs = studio.Services.GetRequiredService<UnificationJobs>();

        var (job, problem) = await jobs.RemoveIdentityAsync(Admin, 7, new IdentityKey("anonymous_id", "a1"));

        Assert.Null(problem);
        Assert.Equal(UnificationJobKinds.Split, job!.Kind);
        Assert.Equal(UnificationJobStatus.Queued, job.Status);
        Assert.Equal("anonymous_id:a1", job.SplitOff);
        var rules = await jobs.NeverLinkRulesAsync();
        Assert.Equal(["anonymous_id:a1|email:ada@example.com", "anonymous_id:a1|user_id:ada"],
            rules.Select(r => $"{r.NamespaceA}:{r.ValueA}|{r.NamespaceB}:{r.ValueB}").Order().ToList());
        var audit = await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.IdentityRemoved), 0, 10);
        Assert.Equal("admin@example.com", Assert.Single(audit.Entries).ActorName);
    }

    [Fact]
    public async Task RemoveIdentity_NotInTheProfileOrItsOnlyIdentity_IsRefusedWithAReasonAndNothingSaved()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedProfileAsync(studio, 7, ("user_id", "ada"), ("anonymous_id", "a1"));
        await SeedProfileAsync(studio, 8, ("user_id", "bob"));
        var jobs = studio.Services.GetRequiredService<UnificationJobs>();

        var (_, notMember) = await jobs.RemoveIdentityAsync(Admin, 7, new IdentityKey("user_id", "bob"));
        var (_, only) = await jobs.RemoveIdentityAsync(Admin, 8, new IdentityKey("user_id", "bob"));
        var (_, same) = await jobs.NeverLinkAsync(Admin, 7, new IdentityKey("user_id", "ada"), new IdentityKey("user_id", "ada"));

        Assert.Contains("is not an identity of profile 7", notMember);
        Assert.Contains("only identity", only);
        Assert.Contains("two different identities", same);
        Assert.Empty(await jobs.NeverLinkRulesAsync());
        Assert.Empty(await jobs.RecentAsync());
    }

    [Fact]
    public async Task RequestDeletion_WhenTheJobEnds_TheAuditEntrySaysWhereTheRequestCameFrom()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await SeedProfileAsync(studio, 7, ("user_id", "ada"));
        var jobs = studio.Services.GetRequiredService<UnificationJobs>();

        var job = await jobs.RequestDeletionAsync(Admin with { IpAddress = "203.0.113.7" }, 7, eraseFromLake: false);
        await jobs.FinishAsync(job, succeeded: true, "deleted profile 7");

        var audit = await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.ProfileDeleted), 0, 10);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(("admin@example.com", "203.0.113.7"), (entry.ActorName, entry.IpAddress));
    }

    [Fact]
    public async Task RequestRebuild_Twice_QueuesOneRebuild()
    {
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var jobs = studio.Services.GetRequiredService<UnificationJobs>();

        var first = await jobs.RequestRebuildAsync(Admin, "rules changed");
        var second = await jobs.RequestRebuildAsync(Admin, "rules changed again");

        Assert.Equal(first.Id, second.Id);
        Assert.Single(await jobs.RecentAsync());
        Assert.Equal(1, (await studio.Audit.QueryAsync(new AuditFilter(Action: AuditActions.RebuildRequested), 0, 10)).Total);
    }

    private static async Task SeedProfileAsync(StudioServices studio, long id, params (string Namespace, string Value)[] identities)
    {
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        db.Profiles.Add(new Profile { Id = id, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, FirstMessageId = 1, LastMessageId = 1 });
        foreach (var (ns, value) in identities)
        {
            db.Identities.Add(new IdentityRecord { Namespace = ns, Value = value, ProfileId = id, SourceId = 1, FirstMessageId = 1, LastMessageId = 1 });
        }
        await db.SaveChangesAsync();
    }
}
