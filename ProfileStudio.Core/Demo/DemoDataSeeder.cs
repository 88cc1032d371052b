using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Demo;

public sealed class DemoDataOptions
{
    public const string Section = "ProfileStudio:DemoData";

    /// <summary>Generate the demo on the first start with an empty lake.</summary>
    public bool Enabled { get; set; } = true;

    public int People { get; set; } = 3000;
}

/// <summary>
/// On the first start with an empty lake, creates four demo sources and sends them a few weeks of
/// made-up data through the real ingestion code: website and app traffic through the tracking
/// parser and the lake writer (exactly what <c>/v1/batch</c> runs), CRM and point-of-sale exports
/// as uploaded CSV files with saved mappings through the file processor; and two more merge policies,
/// "CRM first" and "Per identifier" (no stitching), so the explorer and the dashboard have policies to compare. Runs after start-up, so the studio is
/// usable at once.
/// </summary>
public sealed class DemoDataSeeder(
    IOptions<DemoDataOptions> options,
    IDbContextFactory<ProfileStudioDbContext> dbFactory,
    SourceRegistry sources,
    LakeWriter lake,
    FileBatches files,
    MergePolicyStore policies,
    AuditLog audit,
    TimeProvider time,
    ILogger<DemoDataSeeder> logger,
    ComputedAttributeStore computed,
    Segments.SegmentStore segments) : BackgroundService
{
    /// <summary>
    /// The demo's segments, active (streaming) out of the box, each with members in the demo traffic (sessions
    /// over the last 28 days, orders online and in the shops, visitors who never sign in).
    /// </summary>
    public static IReadOnlyList<Segments.SegmentDraft> SegmentDrafts { get; } =
    [
        DemoSegment("Recent buyers (30 days)", "Bought online or in a shop in the last 30 days.",
            new Segments.GroupNode("root", Segments.GroupKind.AnyOf,
            [
                new Segments.EventCondition("web", "Order Completed", true) { Window = new Segments.EventWindow(Segments.WindowKind.LastDays) { Amount = 30 } },
                new Segments.EventCondition("shop", "In-Store Purchase", true) { Window = new Segments.EventWindow(Segments.WindowKind.LastDays) { Amount = 30 } },
            ])),
        DemoSegment("High value (lifetime value ≥ 500)", "Spent 500 or more in all (the computed attribute lifetime_value).",
            new Segments.GroupNode("root", Segments.GroupKind.AllOf,
            [
                new Segments.AttributeCondition("ltv", "lifetime_value", new Segments.ValueTest(Segments.ValueTestType.Number, Segments.ValueOperator.GreaterOrEqual) { Number = 500 }),
            ])),
        DemoSegment("Cart abandoners (added to cart, no order in 7 days)", "Added something to the cart in the last 7 days and placed no order since a week.",
            new Segments.GroupNode("root", Segments.GroupKind.AllOf,
            [
                new Segments.EventCondition("added", "Product Added", true) { Window = new Segments.EventWindow(Segments.WindowKind.LastDays) { Amount = 7 } },
                new Segments.EventCondition("ordered", "Order Completed", false) { Window = new Segments.EventWindow(Segments.WindowKind.LastDays) { Amount = 7 } },
            ])),
        DemoSegment("Anonymous visitors", "Visitors we only know by a device: no user id and no e-mail address.",
            new Segments.GroupNode("root", Segments.GroupKind.AllOf,
            [
                new Segments.IdentityCondition("device", "anonymous_id", true),
                new Segments.IdentityCondition("user", "user_id", false),
                new Segments.IdentityCondition("email", "email", false),
            ])),
    ];

    private static Segments.SegmentDraft DemoSegment(string name, string description, Segments.SegmentNode root) =>
        new(name, description, Segments.SegmentRuleJson.Serialize(new Segments.SegmentRule(root)));

    /// <summary>
    /// The demo's computed attributes, active out of the box: web orders (<c>Order Completed</c>) and till
    /// purchases (<c>In-Store Purchase</c>) both carry <c>revenue</c> and <c>category</c>.
    /// </summary>
    public static readonly ComputedAttributeDraft[] ComputedAttributes =
    [
        new("lifetime_value", "Everything the customer spent, online and in the shops.", ComputedFunction.Sum,
            ["Order Completed", "In-Store Purchase"], "revenue", [], LookbackWindow.AllTime),
        new("orders_30d", "Orders online and in the shops in the last 30 days.", ComputedFunction.Count,
            ["Order Completed", "In-Store Purchase"], null, [], LookbackWindow.Days(30)),
        new("favourite_category", "The category the customer buys most.", ComputedFunction.MostFrequent,
            ["Order Completed", "In-Store Purchase"], "category", [], LookbackWindow.AllTime),
    ];

    public static readonly string[] SourceNames = ["Website", "Mobile app", "CRM export", "Point of sale"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        try
        {
            await SeedAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The studio works without demo data; a failed seed must not stop the app.
            logger.LogError(ex, "Generating the demo data failed; the studio runs without it (what was stored so far stays).");
        }
    }

    private async Task SeedAsync(CancellationToken stoppingToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(stoppingToken))
        {
            if (await db.RawMessages.AnyAsync(stoppingToken) || await db.Sources.AnyAsync(s => SourceNames.Contains(s.Name), stoppingToken))
            {
                if (await db.Sources.AnyAsync(s => SourceNames.Contains(s.Name), stoppingToken)
                    && !await db.AuditEntries.AnyAsync(e => e.Action == AuditActions.DemoGenerated, stoppingToken))
                {
                    // Seeding does not start over on a lake that has data: say why the demo may lack its files, segments or attributes.
                    logger.LogWarning("The demo data was interrupted by a stop while it was being generated; what was stored stays, and it is not generated again. " +
                        "Start with an empty data directory to get the whole demo.");
                }
                return;
            }
        }
        var stopwatch = Stopwatch.StartNew();
        logger.LogInformation("Generating demo data for {People} people (ProfileStudio:DemoData:Enabled=false turns this off)…", options.Value.People);

        var people = DemoPeople.Generate(options.Value.People);
        var traffic = new DemoTraffic(people, time.GetUtcNow().UtcDateTime);
        var website = await CreateAsync("Website", SourceKind.Streaming, "The online shop (analytics.js).", stoppingToken);
        var app = await CreateAsync("Mobile app", SourceKind.Streaming, "The iOS and Android app.", stoppingToken);
        var crm = await CreateAsync("CRM export", SourceKind.Batch, "Nightly customer export from the CRM.", stoppingToken);
        var pos = await CreateAsync("Point of sale", SourceKind.Batch, "Till purchases from the shops.", stoppingToken);

        var sent = await SendAsync(website, traffic.Website(), stoppingToken);
        sent += await SendAsync(app, traffic.MobileApp(), stoppingToken);

        var crmMapping = new FileMapping(FileKind.ProfileRecords,
        [
            new("Customer ID", ColumnTarget.Identity, "crm_id"),
            new("Email", ColumnTarget.Identity, "email"),
            new("First Name", ColumnTarget.Attribute, "firstName"),
            new("Last Name", ColumnTarget.Attribute, "lastName"),
            new("Phone", ColumnTarget.Identity, "phone"),
            new("City", ColumnTarget.Attribute, "address.city"),
            new("Country", ColumnTarget.Attribute, "address.country"),
            new("Birthday", ColumnTarget.Attribute, "birthday", AttributeType.Date),
            new("VIP", ColumnTarget.Attribute, "vip", AttributeType.Boolean),
            new("Marketing Opt-in", ColumnTarget.Attribute, "marketing_opt_in", AttributeType.Boolean),
            new("Lifetime Value", ColumnTarget.Attribute, "crm_lifetime_value", AttributeType.Number),
        ]);
        var posMapping = new FileMapping(FileKind.Events,
        [
            new("loyalty_id", ColumnTarget.Identity, "loyalty_id"),
            new("email", ColumnTarget.Identity, "email"),
            new("phone", ColumnTarget.Identity, "phone"),
            new("store", ColumnTarget.EventProperty, "store"),
            new("purchased_at", ColumnTarget.EventTimestamp),
            new("sku", ColumnTarget.EventProperty, "sku"),
            new("category", ColumnTarget.EventProperty, "category"),
            new("amount", ColumnTarget.EventProperty, "revenue", AttributeType.Number),
            new("payment", ColumnTarget.EventProperty, "payment"),
        ], EventName: "In-Store Purchase");
        await files.SaveMappingAsync(Demo, crm, "CRM customers", crmMapping, stoppingToken);
        await files.SaveMappingAsync(Demo, pos, "Till purchases", posMapping, stoppingToken);
        await UploadAsync(crm, "crm-customers.csv", traffic.CrmCsv(), FileKind.ProfileRecords, crmMapping, stoppingToken);
        await UploadAsync(pos, "pos-purchases.csv", traffic.PosCsv(), FileKind.Events, posMapping, stoppingToken);

        // What support staff would pick: the CRM's record of a customer first, the tills next, the
        // website and app last; except the e-mail address, where the most recent one wins.
        var crmFirst = await policies.CreateAsync(AuditActor.System, new MergePolicyDraft(
            "CRM first", "Support's view: what the customer told the CRM beats what a web form says; the newest e-mail wins.",
            IdentityStitching.Graph, AttributeMergeRule.SourcePrecedence, [crm, pos, website, app],
            [new AttributeOverrideDraft("email", AttributeMergeRule.Timestamp, [])]), stoppingToken);
        if (!crmFirst.Succeeded)
        {
            logger.LogWarning("The demo merge policy was refused: {Problems}", string.Join(" ", crmFirst.Problems));
        }
        // And one without stitching, where every identifier is a profile of its own: the dashboard and the explorer show
        // what stitching does to the counts when switched to it.
        var perIdentifier = await policies.CreateAsync(AuditActor.System, new MergePolicyDraft(
            "Per identifier", "Analysts' view without stitching: each identifier counts as a profile of its own, with its own data.",
            IdentityStitching.None, AttributeMergeRule.Timestamp, [], []), stoppingToken);
        if (!perIdentifier.Succeeded)
        {
            logger.LogWarning("The demo merge policy was refused: {Problems}", string.Join(" ", perIdentifier.Problems));
        }

        // Active at once: the backfill covers whatever is unified by then, the live stage the rest.
        foreach (var draft in ComputedAttributes)
        {
            var saved = await computed.SaveAsync(Demo, null, draft, ct: stoppingToken);
            var activated = saved.Succeeded ? await computed.ActivateAsync(Demo, saved.Definition!.Id, ct: stoppingToken) : saved;
            if (!activated.Succeeded)
            {
                logger.LogWarning("The demo computed attribute {Name} was refused: {Problems}", draft.Name, string.Join(" ", activated.Problems));
            }
        }

        // Activated last: their full evaluation reads the computed values, and streaming keeps them current as the rest is unified.
        foreach (var draft in SegmentDrafts)
        {
            var created = await segments.CreateAsync(Demo, draft, stoppingToken);
            var activated = created.Succeeded ? await segments.ActivateAsync(Demo, created.Segment!.Id, ct: stoppingToken) : created;
            if (!activated.Succeeded)
            {
                logger.LogWarning("The demo segment {Name} was refused: {Problems}", draft.Name, string.Join(" ", activated.Problems.Select(p => p.Message)));
            }
        }

        await audit.RecordAsync(AuditActor.System, AuditActions.DemoGenerated, "demo data",
            $"{people.Count} people; {sent} tracking messages; CRM and point-of-sale files queued", stoppingToken);
        logger.LogInformation("Demo data: {Messages} tracking messages stored and two files queued in {Seconds:N1} s.", sent, stopwatch.Elapsed.TotalSeconds);
        await DemoReceiveTimes.BackdateAsync(dbFactory, [website, app], time, stoppingToken);
    }

    /// <summary>Who the audit log and the Files page say uploaded the demo files.</summary>
    private static readonly AuditActor Demo = new(null, "demo");

    private async Task<int> CreateAsync(string name, SourceKind kind, string description, CancellationToken ct)
    {
        var created = await sources.CreateAsync(AuditActor.System, name, kind, description, ct);
        return created.Source?.Id ?? throw new InvalidOperationException($"The demo source {name} could not be created: {created.Error}");
    }

    private async Task<int> SendAsync(int sourceId, IReadOnlyList<System.Text.Json.Nodes.JsonObject> messages, CancellationToken ct)
    {
        var accepted = 0;
        foreach (var body in DemoTraffic.Batches(messages))
        {
            ct.ThrowIfCancellationRequested(); // a stop during the first start ends the seeding at once (it kept the host waiting 30 s)
            var parsed = TrackingMessageParser.Parse(body, "batch", time.GetUtcNow().UtcDateTime);
            var result = await lake.WriteAsync(sourceId, parsed.Request!.Messages, null, ct);
            accepted += result.Accepted;
        }
        return accepted;
    }

    private async Task UploadAsync(int sourceId, string fileName, string content, FileKind kind, FileMapping mapping, CancellationToken ct)
    {
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        var result = await files.UploadAsync(sourceId, fileName, stream, Demo, kind, mapping, ct);
        if (!result.Succeeded)
        {
            logger.LogWarning("The demo file {File} was refused: {Problems}", fileName, string.Join(" ", result.Problems ?? []));
        }
    }
}
