using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Storage;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.ComputedAttributes;

public sealed class ComputedAttributeReaderTests
{
    private static List<HistogramBin> Histogram(params string[] values) =>
        [.. ComputedAttributeReader.Distribution(values.Select((v, i) => ((long)i, (string?)v)).ToList(), numeric: true).Histogram];

    [Fact]
    public async Task DistributionRows_WalkTheTableInProfileOrder_WithoutASort()
    {
        // A profile's row holds every definition's value: the distribution must stop after its first values in profile order
        // (the row id's) rather than read and sort every row.
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        await using var db = await studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        var sql = ComputedAttributeReader.RowsQuery(db).ToQueryString();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        var lines = sql.Split('\n', StringSplitOptions.TrimEntries);
        foreach (var line in lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.Value) = (parts[2], long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.Add(parameter);
        }
        command.CommandText = string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
        var plan = await QueryPlans.StepsAsync(command);

        Assert.StartsWith("SCAN ", Assert.Single(plan)); // the table itself, in row id order: no index, no sort
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ActiveDistributions_InOnePass_AreEachActiveDefinitionsDistribution()
    {
        // The dashboard's snapshot reads every active definition's values in one pass over the states: the same distributions, by
        // name, as a read per definition gives (current version only, the profile's own rows only, in profile order), none for others.
        await using var studio = await StudioServices.StartAsync(withAccounts: false);
        var factory = studio.Services.GetRequiredService<IDbContextFactory<ProfileStudioDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var at = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
            ComputedAttributeDefinition Definition(string name, ComputedFunction function, ComputedStatus status, int version) => new()
            {
                Name = name, Function = function, EventNames = ["Order Completed"], PropertyPath = function == ComputedFunction.Count ? null : "category",
                Conditions = [], WindowUnit = WindowUnit.AllTime, WindowSize = 0, Status = status, Version = version, BackfillVersion = version,
                CreatedAt = at, UpdatedAt = at, UpdatedBy = "test",
            };
            db.ComputedAttributeDefinitions.AddRange(
                Definition("orders", ComputedFunction.Count, ComputedStatus.Active, 2),
                Definition("favourite", ComputedFunction.MostFrequent, ComputedStatus.Active, 1),
                Definition("drafted", ComputedFunction.Count, ComputedStatus.Draft, 1));
            await db.SaveChangesAsync();
            var ids = await db.ComputedAttributeDefinitions.ToDictionaryAsync(d => d.Name, d => d.Id);
            ComputedEntry Entry(string name, string? value, int version = 1) => new(ids[name], version, ReadOnlyMemory<byte>.Empty, value, at, null);
            db.ComputedProfileStates.AddRange(
                ComputedProfileState.Of(9, Entry("orders", "3", version: 2)), ComputedProfileState.Of(2, Entry("orders", "1", version: 2), Entry("drafted", "1")),
                ComputedProfileState.Of(5, Entry("orders", "7", version: 2)),
                ComputedProfileState.Of(7, Entry("orders", "4", version: 1)), // the previous version's entry: not in the distribution
                ComputedProfileState.Of(4, Entry("orders", null, version: 2)),
                ComputedProfileState.Of(8, Entry("favourite", "\"books\"")), ComputedProfileState.Of(3, Entry("favourite", "\"games\"")),
                ComputedProfileState.Of(6, Entry("favourite", "\"books\"")));
            // A part a merge brought, not combined yet: never read as a value.
            db.ComputedStateParts.Add(new ComputedStatePart { ProfileId = 2, MergedFromId = 11, Entries = ComputedEntries.Encode([Entry("orders", "5", version: 2)]) });
            await db.SaveChangesAsync();
        }
        var reader = studio.Services.GetRequiredService<ComputedAttributeReader>();

        var all = await reader.ActiveDistributionsAsync();

        Assert.Equal(["favourite", "orders"], all.Select(d => d.Name));
        foreach (var (id, _, distribution) in all)
        {
            var one = await reader.DistributionAsync(id, int.MaxValue);
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(one), System.Text.Json.JsonSerializer.Serialize(distribution));
        }
        var orders = all.Single(d => d.Name == "orders").Distribution;
        Assert.Equal((4, 3), (orders.ProfilesScanned, orders.ProfilesWithValue)); // 2, 5, 9 with a value and 4 without; not 7's old version, not 2's part
    }

    [Fact]
    public void Distribution_WholeNumbers_GetOneBinPerNumber_NotFractions()
    {
        // orders_30d: counts 0 to 6 drew bins "0–0.86", "0.86–1.71", …
        var bins = Histogram("0", "0", "1", "3", "6", "6", "6");

        Assert.Equal(Enumerable.Range(0, 7).Select(n => (decimal)n), bins.Select(b => b.From));
        Assert.All(bins, b => Assert.Equal(b.From, b.To));
        Assert.Equal([2, 1, 0, 1, 0, 0, 3], bins.Select(b => b.Profiles));
    }

    [Fact]
    public void Distribution_AFarOutlier_GetsABarOfItsOwn_AndTheOthersKeepNarrowBins()
    {
        // One lifetime value of 250,000 among 10 to 80 drew 20 bins 12,500 wide: 11 profiles in the first bar, nothing readable.
        var bins = Histogram([.. Enumerable.Range(0, 11).Select(i => (10 + i * 7).ToString()), "250000"]);

        Assert.Equal(new HistogramBin(250000m, 250000m, 1, Outliers: true), bins[^1]);
        var inner = bins[..^1];
        Assert.All(inner, b => Assert.False(b.Outliers));
        Assert.Equal((10m, 84m), (inner[0].From, inner[^1].To)); // 5 wide: 10–14 … 80–84
        Assert.InRange(inner.Count, 5, 20);
        Assert.Equal(11, inner.Sum(b => b.Profiles));
    }

    [Fact]
    public void Distribution_OutliersBelowAndAbove_EachGetABar()
    {
        var bins = Histogram([.. Enumerable.Range(100, 20).Select(n => n.ToString()), "-90000", "400000", "500000"]);

        Assert.Equal(new HistogramBin(-90000m, -90000m, 1, Outliers: true), bins[0]);
        Assert.Equal(new HistogramBin(400000m, 500000m, 2, Outliers: true), bins[^1]);
        Assert.Equal(20, bins[1..^1].Sum(b => b.Profiles));
    }

    [Fact]
    public void Distribution_CountsMostlyZero_KeepABarPerNumber_NoOutlierBar()
    {
        // orders_30d: mostly 0, a few 1 to 6. Nothing there is an outlier, whatever the quartiles say.
        var bins = Histogram([.. Enumerable.Repeat("0", 30), "1", "2", "6"]);

        Assert.All(bins, b => Assert.False(b.Outliers));
        Assert.Equal(7, bins.Count);
    }

    [Fact]
    public void Distribution_WideWholeNumbers_GetWholeEdgesAndAtMost20Bins()
    {
        var bins = Histogram("0", "37", "99", "100", "250");

        Assert.InRange(bins.Count, 2, 20);
        Assert.All(bins, b => Assert.True(b.From == decimal.Truncate(b.From) && b.To == decimal.Truncate(b.To) && b.To - b.From + 1 >= 1));
        Assert.All(bins.Zip(bins.Skip(1)), p => Assert.Equal(p.First.To + 1, p.Second.From)); // no whole number falls between two bins
        Assert.Equal(5, bins.Sum(b => b.Profiles));
        Assert.Equal((0m, 19m), (bins[0].From, bins[0].To)); // 20 wide: 0–19, 20–39, …
    }

    [Fact]
    public void Distribution_Decimals_GetRoundEdges()
    {
        // lifetime_value: edges such as "64.42–104.38" were cut off under the axis.
        var bins = Histogram("64.42", "104.38", "350.5", "799.99", "12.3");

        Assert.Equal(0m, bins[0].From);
        Assert.All(bins, b => Assert.Equal(50m, b.To - b.From));
        Assert.True(bins.Count <= 20);
        Assert.Equal(5, bins.Sum(b => b.Profiles));
        Assert.Equal(1, bins.Single(b => b.From == 50m).Profiles); // 64.42
    }

    [Fact]
    public void Distribution_TopValuesOfEqualCounts_NumbersByValueThenText()
    {
        // most_frequent over a number and a text property: as text, 10 came before 9 and "a" before both.
        var values = new[] { "10", "9", "\"a\"", "10", "9", "\"a\"", "100" };

        var top = ComputedAttributeReader.Distribution(values.Select((v, i) => ((long)i, (string?)v)).ToList(), numeric: false).TopValues;

        Assert.Equal(["9", "10", "\"a\"", "100"], top.Select(t => t.ValueJson));
    }

    [Fact]
    public void Distribution_Examples_ShowProfilesWithAValueFirst_ThenThoseWithout()
    {
        // lifetime_value / orders_30d: most recently active profiles often have no orders in 30 days, and ten "—" said nothing.
        var values = Enumerable.Range(1, 12).Select(i => ((long)i, i is 4 or 9 ? "2.5" : i == 11 ? "null" : (string?)null)).ToList();

        var examples = ComputedAttributeReader.Distribution(values, numeric: true).Examples;

        Assert.Equal([4L, 9, 1, 2, 3, 5, 6, 7, 8, 10], examples.Select(e => e.ProfileId));
        Assert.Equal(["2.5", "2.5"], examples.Take(2).Select(e => e.ValueJson));
    }

    [Fact]
    public void Distribution_OneValue_IsOneBin()
    {
        Assert.Equal([new HistogramBin(2.5m, 2.5m, 2)], Histogram("2.5", "2.5"));
    }

    [Theory]
    [InlineData("-39000000000000000000000000000", "39000000000000000000000000000")]
    [InlineData("50000000000000000000.00000001", "50000000000000000000.00000002")]
    public void Distribution_ValuesNearDecimalsLimits_AreOneBinFromMinToMax_NotAnOverflow(string low, string high)
    {
        var (min, max) = (decimal.Parse(low, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(high, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal([new HistogramBin(min, max, 3)], Histogram(low, high, high));
    }
}
