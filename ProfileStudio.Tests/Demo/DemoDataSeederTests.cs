using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Demo;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Hosting;

namespace ProfileStudio.Tests.Demo;

public sealed class DemoDataSeederTests : IClassFixture<DemoDataSeederTests.DemoAppFactory>
{
    private readonly DemoAppFactory _app;

    public DemoDataSeederTests(DemoAppFactory app) => _app = app;

    public sealed class DemoAppFactory : StudioAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProfileStudio:DemoData:Enabled", "true");
            builder.UseSetting("ProfileStudio:DemoData:People", "120");
        }
    }

    [Fact]
    public async Task FirstStart_EmptyLake_SendsEveryDemoSourceThroughIngestion()
    {
        _ = _app.Server; // starts the app and its background services
        var db = _app.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();

        var batches = await WaitAsync(async () =>
        {
            await using var context = await db.CreateDbContextAsync();
            var files = await context.FileBatches.AsNoTracking().OrderBy(b => b.Id).ToListAsync();
            return files.Count == 2 && files.All(f => f.Status == FileBatchStatus.Completed) ? files : null;
        });

        await using var check = await db.CreateDbContextAsync();
        var sources = await check.Sources.AsNoTracking().OrderBy(s => s.Id).Select(s => s.Name).ToListAsync();
        Assert.Equal(DemoDataSeeder.SourceNames, sources);
        var perSource = await check.RawMessages.AsNoTracking()
            .GroupBy(m => m.SourceId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count);
        Assert.Equal(4, perSource.Count);
        Assert.All(perSource.Values, count => Assert.True(count > 10));

        // The CRM export carries two broken rows on purpose; they are rejected with reasons, the rest accepted.
        var crm = batches[0];
        Assert.Equal(2, crm.RowsRejected);
        Assert.True(crm.RowsAccepted > 50);
        var types = await check.RawMessages.AsNoTracking().Where(m => m.Status == MessageStatus.Accepted).Select(m => m.Type).Distinct().ToListAsync();
        Assert.Superset(new HashSet<string> { "identify", "track", "page", "screen", "group" }, types.ToHashSet());

        // Identifiers overlap across sources, which is what identity resolution will join.
        var payloads = await check.RawMessages.AsNoTracking().Where(m => m.Status == MessageStatus.Accepted).Select(m => m.Payload).ToListAsync();
        var webEmails = payloads.Select(p => JsonNode.Parse(p)!).Where(p => (string?)p["type"] != "group") // a group's traits are the account's
            .Select(p => (string?)p["traits"]?["email"]).OfType<string>().ToHashSet();
        var crmEmails = payloads.Select(p => JsonNode.Parse(p)!)
            .SelectMany(p => p["context"]?["externalIds"]?.AsArray() ?? [])
            .Where(id => (string?)id!["type"] == "email").Select(id => ((string)id!["id"]!).ToLowerInvariant()).ToHashSet();
        Assert.True(webEmails.Intersect(crmEmails).Count() > 5, "the web and the CRM should share customers by email");

        // The seeder records its audit entry after queuing the files, which may be processed before that.
        var audit = await WaitAsync(async () =>
            await _app.Audit.QueryAsync(new AuditFilter(Action: AuditActions.DemoGenerated), 0, 10) is { Total: > 0 } page ? page : null);
        Assert.Equal(1, audit.Total);
        // A second merge policy, so the explorer's "Compare policies" has something to show.
        var crmFirst = Assert.Single(await check.MergePolicies.AsNoTracking().Where(p => p.Name == "CRM first").ToListAsync());
        Assert.False(crmFirst.IsDefault);
        // And one without stitching, so switching the dashboard's policy changes its figures.
        var perIdentifier = Assert.Single(await check.MergePolicies.AsNoTracking().Where(p => p.Name == "Per identifier").ToListAsync());
        Assert.Equal(IdentityStitching.None, perIdentifier.Stitching);
        Assert.False(perIdentifier.IsDefault);

        // Club members' group calls carry the club's own e-mail and phone: on their timelines, never their identifiers.
        var lakeEnd = await check.RawMessages.MaxAsync(m => m.Id);
        await WaitAsync(async () =>
        {
            await using var context = await db.CreateDbContextAsync();
            return await context.UnificationCheckpoints.AnyAsync(c => c.LastMessageId >= lakeEnd) ? "unified" : null;
        });
        await using var unified = await db.CreateDbContextAsync();
        var members = await unified.ProfileEvents.AsNoTracking().Where(e => e.Type == "group" && e.Name == "acc-101").Select(e => e.ProfileId).Distinct().CountAsync();
        Assert.True(members > 1, $"{members} profiles joined acc-101");
        Assert.False(await unified.Identities.AnyAsync(i => i.Value == "treasurer@northwind-hiking.example" || i.Value == "+442079460101"));
    }

    /// <summary>lifetime_value, orders_30d and favourite_category are active out of the box, and every buyer's values equal a computation from scratch.</summary>
    [Fact]
    public async Task FirstStart_TheDemosComputedAttributes_ActiveWithEveryBuyersValues()
    {
        _ = _app.Server;
        var db = _app.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
        var store = _app.Services.GetRequiredService<ComputedAttributeStore>();
        await WaitAsync(async () =>
        {
            await using var context = await db.CreateDbContextAsync();
            var files = await context.FileBatches.CountAsync(f => f.Status == FileBatchStatus.Completed);
            var lakeEnd = await context.RawMessages.MaxAsync(m => (long?)m.Id) ?? 0;
            var unified = await context.UnificationCheckpoints.AnyAsync(c => c.LastMessageId >= lakeEnd);
            var definitions = await store.ListAsync();
            return files == 2 && unified && definitions.Count == 3 && definitions.All(d => d.IsLive) ? "ready" : null;
        });
        var definitions = await store.ListAsync();
        Assert.Equal(["favourite_category", "lifetime_value", "orders_30d"], definitions.Select(d => d.Name));

        await using var check = await db.CreateDbContextAsync();
        var events = (await check.ProfileEvents.AsNoTracking().Where(e => e.Name == "Order Completed" || e.Name == "In-Store Purchase").ToListAsync())
            .GroupBy(e => e.ProfileId).ToDictionary(g => g.Key, g => g.Select(e => new ComputedEvent(e.ProfileId, e.Name, e.EventAt, e.MessageId, e.PropertiesJson)).ToList());
        Assert.True(events.Count > 10, "the demo should have buyers");
        var reader = _app.Services.GetRequiredService<ComputedAttributeReader>();
        var now = DateTime.UtcNow;
        foreach (var (profile, timeline) in events)
        {
            var values = (await reader.ValuesOfProfileAsync(profile)).ToDictionary(v => v.Name);
            foreach (var d in definitions)
            {
                var (_, expected) = ProfileStudio.Tests.ComputedAttributes.ComputedReference.Compute(d.ToSpec(), timeline, now, ComputedAggregator.DefaultDistinctLimit);
                Assert.True(values.TryGetValue(d.Name, out var value) && value.ValueJson == expected, $"profile {profile}, {d.Name}: expected {expected}, got {(values.TryGetValue(d.Name, out var v) ? v.ValueJson : "none")}");
            }
        }
    }

    /// <summary>The demo's four segments are active (streaming) and each has members once the demo data is unified.</summary>
    [Fact]
    public async Task FirstStart_TheDemosSegments_ActiveWithMembers()
    {
        _ = _app.Server;
        var store = _app.Services.GetRequiredService<ProfileStudio.Core.Segments.SegmentStore>();
        var counts = await WaitAsync(async () =>
        {
            var segments = await store.ListAsync();
            return segments.Count == 4 && segments.All(s => s.Status == ProfileStudio.Core.Segments.SegmentStatus.Active && s.MemberCount > 0)
                ? segments.ToDictionary(s => s.Name, s => s.MemberCount) : null;
        });
        Assert.Equal(["Anonymous visitors", "Cart abandoners (added to cart, no order in 7 days)", "High value (lifetime value ≥ 500)", "Recent buyers (30 days)"],
            counts.Keys.Order(StringComparer.Ordinal));
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } done)
            {
                return done;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The demo data was not generated in 60 s.");
    }
}
