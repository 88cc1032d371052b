using Bunit;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Tests.Components.Profiles.Explorer;

public sealed class AttributeLineageTableTests : StudioBunitContext
{
    private static readonly DateTime T0 = new(2026, 3, 1, 9, 0, 0, DateTimeKind.Utc);
    private static readonly Dictionary<int, string> Sources = new() { [1] = "Website", [2] = "CRM" };

    private static ProfileAttributes Attributes(MergePolicy policy) => new(policy, MergePolicyEvaluator.Evaluate(
    [
        new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "plan", ValueJson = "\"free\"", EventAt = T0, MessageId = 1 },
        new ProfileAttribute { ProfileId = 1, SourceId = 2, Key = "plan", ValueJson = "\"enterprise\"", EventAt = T0.AddDays(4), MessageId = 2 },
        new ProfileAttribute { ProfileId = 1, SourceId = 2, Key = "note", ValueJson = "\"<script>alert('x')</script>\"", EventAt = T0, MessageId = 2 },
    ], policy, Sources), null);

    private static MergePolicy MostRecent => new() { Id = 1, Name = "Most recent" };

    private IRenderedComponent<AttributeLineageTable> RenderTable(ProfileAttributes attributes) =>
        Render<AttributeLineageTable>(p => p.Add(c => c.Attributes, attributes));

    [Fact]
    public void Render_TwoSourcesDisagree_ShowsTheWinnerWithItsSourceAndTime()
    {
        var table = RenderTable(Attributes(MostRecent));

        var row = table.Find("[data-testid=attribute-row][data-key=plan]");
        Assert.Equal("enterprise", row.QuerySelector("[data-testid=attribute-value]")!.TextContent.Trim());
        Assert.Contains("CRM", row.TextContent);
        Assert.Contains("5 Mar 2026, 09:00", row.TextContent);
        Assert.Empty(table.FindAll("[data-testid=attribute-lineage]"));
    }

    [Fact]
    public void AVeryLongValue_ShowsItsStart_AndAllOfItOnAClick_WithoutOpeningTheRow()
    {
        var longText = string.Concat(Enumerable.Repeat("lorem ipsum ", 250)); // 3,000 characters
        var attributes = new ProfileAttributes(MostRecent, MergePolicyEvaluator.Evaluate(
            [new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "bio", ValueJson = System.Text.Json.JsonSerializer.Serialize(longText), EventAt = T0, MessageId = 1 }],
            MostRecent, Sources), null);
        var table = RenderTable(attributes);

        var value = table.Find("[data-testid=attribute-row][data-key=bio] [data-testid=attribute-value]");
        Assert.True(value.TextContent.Length < 400, $"{value.TextContent.Length} characters shown");
        Assert.Contains("Show all 3,000 characters", value.TextContent);

        table.Find("[data-testid=clamped-more]").Click();

        value = table.Find("[data-testid=attribute-row][data-key=bio] [data-testid=attribute-value]");
        Assert.Contains(longText.Trim(), value.TextContent);
        Assert.Empty(table.FindAll("[data-testid=attribute-lineage]")); // the click was the link's, not the row's
        table.Find("[data-testid=clamped-less]").Click();
        Assert.Contains("Show all 3,000 characters", table.Find("[data-testid=attribute-row][data-key=bio]").TextContent);
    }

    [Fact]
    public void ClickRow_ExpandsToTheLineage_WhatLostAndWhy()
    {
        var table = RenderTable(Attributes(MostRecent));

        table.Find("[data-testid=attribute-row][data-key=plan]").Click();

        var lineage = table.Find("[data-testid=attribute-lineage][data-key=plan]");
        Assert.Contains("most recent event time wins", lineage.TextContent);
        Assert.Contains("From CRM", lineage.QuerySelector("[data-testid=lineage-winner]")!.TextContent);
        var loser = Assert.Single(table.FindAll("[data-testid=lineage-loser]"));
        Assert.Contains("free", loser.TextContent);
        Assert.Contains("from Website", loser.TextContent);
        Assert.Contains("older than the winner", loser.TextContent);

        table.Find("[data-testid=attribute-row][data-key=plan]").Click();
        Assert.Empty(table.FindAll("[data-testid=attribute-lineage]"));
    }

    [Fact]
    public void EnterOrSpaceOnARow_OpensAndClosesItsLineage_AsAClickDoes()
    {
        var table = RenderTable(Attributes(MostRecent));
        var row = table.Find("[data-testid=attribute-row][data-key=plan]");
        Assert.Equal("0", row.GetAttribute("tabindex"));
        Assert.Equal("false", row.GetAttribute("aria-expanded"));

        row.KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });

        Assert.Single(table.FindAll("[data-testid=attribute-lineage][data-key=plan]"));
        Assert.Equal("true", table.Find("[data-testid=attribute-row][data-key=plan]").GetAttribute("aria-expanded"));
        table.Find("[data-testid=attribute-row][data-key=plan]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = " " });
        Assert.Empty(table.FindAll("[data-testid=attribute-lineage]"));
        table.Find("[data-testid=attribute-row][data-key=plan]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "a" });
        Assert.Empty(table.FindAll("[data-testid=attribute-lineage]"));
    }

    [Fact]
    public void ClickRow_SourcePrecedencePolicy_SaysTheLoserRanksLower()
    {
        var table = RenderTable(Attributes(new MergePolicy { Id = 2, Name = "Website first", AttributeMerge = AttributeMergeRule.SourcePrecedence, SourcePrecedence = [1, 2] }));

        Assert.Equal("free", table.Find("[data-testid=attribute-row][data-key=plan] [data-testid=attribute-value]").TextContent.Trim());
        table.Find("[data-testid=attribute-row][data-key=plan]").Click();
        Assert.Contains("ranks below Website", table.Find("[data-testid=lineage-loser]").TextContent);
    }

    [Fact]
    public void Lineage_TimesInTheSameMinute_AreShownToTheSecond_SoWhichCameLaterShows()
    {
        var at = new DateTime(2026, 3, 4, 16, 40, 12, DateTimeKind.Utc);
        var attributes = new ProfileAttributes(MostRecent, MergePolicyEvaluator.Evaluate(
        [
            new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "plan", ValueJson = "\"free\"", EventAt = at, MessageId = 1 },
            new ProfileAttribute { ProfileId = 1, SourceId = 2, Key = "plan", ValueJson = "\"enterprise\"", EventAt = at.AddSeconds(19), MessageId = 2 },
            new ProfileAttribute { ProfileId = 1, SourceId = 1, Key = "city", ValueJson = "\"Leeds\"", EventAt = at, MessageId = 1 },
            new ProfileAttribute { ProfileId = 1, SourceId = 2, Key = "city", ValueJson = "\"York\"", EventAt = at.AddMinutes(5), MessageId = 2 },
        ], MostRecent, Sources), null);
        var table = RenderTable(attributes);

        table.Find("[data-testid=attribute-row][data-key=plan]").Click();
        table.Find("[data-testid=attribute-row][data-key=city]").Click();

        Assert.Equal("4 Mar 2026, 16:40:31", table.Find("[data-testid=attribute-row][data-key=plan] [data-testid=attribute-time]").TextContent.Trim());
        Assert.Equal("4 Mar 2026, 16:40:12 UTC", table.Find("[data-testid=attribute-lineage][data-key=plan] [data-testid=lineage-loser-time]").TextContent.Trim());
        // Minutes apart: to the minute, as everywhere else.
        Assert.Equal("4 Mar 2026, 16:45", table.Find("[data-testid=attribute-row][data-key=city] [data-testid=attribute-time]").TextContent.Trim());
        Assert.Equal("4 Mar 2026, 16:40 UTC", table.Find("[data-testid=attribute-lineage][data-key=city] [data-testid=lineage-loser-time]").TextContent.Trim());
    }

    [Fact]
    public void Render_MarkupInAValue_IsText()
    {
        var table = RenderTable(Attributes(MostRecent));

        var cell = table.Find("[data-testid=attribute-row][data-key=note] [data-testid=attribute-value]");
        Assert.Equal("<script>alert('x')</script>", cell.TextContent.Trim());
        Assert.Empty(table.FindAll("td script"));
    }

    [Fact]
    public void ToggleJson_ShowsThePresentAttributesAsOneObject()
    {
        var table = RenderTable(Attributes(MostRecent));

        table.Find("input[type=checkbox]").Change(true);

        var json = table.Find("[data-testid=json-view]").TextContent;
        Assert.Contains("\"plan\": \"enterprise\"", json);
        Assert.Empty(table.FindAll("[data-testid=attributes-table]"));
    }
}
