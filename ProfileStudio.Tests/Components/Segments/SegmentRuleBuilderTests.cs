using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ProfileStudio.Components.Segments.Builder;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Segments;
using ProfileStudio.Tests.Components.Data.Schema;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Segments;

/// <summary>The rule builder's components over the Core rule: every button changes the rule it hands back, problems show at their node.</summary>
public sealed class SegmentRuleBuilderTests : StudioBunitContext
{
    private readonly StudioServices _studio;
    private readonly IRenderedComponent<MudPopoverProvider> _popover;
    private SegmentRule _rule = SegmentRuleEdits.NewRule();
    private IRenderedComponent<SegmentRuleBuilder>? _builder;

    public SegmentRuleBuilderTests()
    {
        _studio = StudioServices.Create(withAccounts: false);
        // The pickers search the union schema; these tests do not type into them.
        Services.AddSingleton(_studio.Services.GetRequiredService<SchemaCatalog>());
        _popover = Render<MudPopoverProvider>();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    /// <summary>Renders the builder bound to <see cref="_rule"/> as a page would: each change is validated and rendered again.</summary>
    private IRenderedComponent<SegmentRuleBuilder> Builder(SegmentRule rule, bool readOnly = false, IReadOnlyList<SegmentChoice>? segments = null)
    {
        _rule = rule;
        _builder = Render<SegmentRuleBuilder>(p => Parameters(p, readOnly, segments));
        return _builder;
    }

    private void Parameters(ComponentParameterCollectionBuilder<SegmentRuleBuilder> p, bool readOnly, IReadOnlyList<SegmentChoice>? segments) => p
        .Add(x => x.Rule, _rule)
        .Add(x => x.Problems, SegmentRuleValidator.Validate(_rule))
        .Add(x => x.ReadOnly, readOnly)
        .Add(x => x.Segments, segments ?? [])
        .Add(x => x.Namespaces, ["email", "user_id"])
        .Add(x => x.RuleChanged, r =>
        {
            _rule = r;
            _builder!.Render(q => Parameters(q, readOnly, segments));
        });

    private GroupNode Root => Assert.IsType<GroupNode>(_rule.Root);

    private static AttributeCondition Country(string id = "country") =>
        new(id, "country", new ValueTest(ValueTestType.Text, ValueOperator.Equals) { Text = "France" });

    private static EventCondition Orders(string id = "orders") =>
        new(id, "Order Completed", true) { Count = new EventCount(CountOperator.AtLeast, 2), Window = new EventWindow(WindowKind.LastDays) { Amount = 30 } };

    [Fact]
    public async Task AddButtons_AddConditionsAndANestedAnyOfGroupWithAnEvent_ToTheRule()
    {
        var cut = Builder(SegmentRuleEdits.NewRule());

        await cut.Find("[data-testid=group-add] [data-testid=add-attribute]").ClickAsync(new());
        await cut.Find("[data-testid=group-add] [data-testid=add-group]").ClickAsync(new());
        var nested = cut.FindAll("[data-testid=segment-group]")[1];
        await nested.QuerySelector("[data-testid=add-event]")!.ClickAsync(new());
        await cut.FindAll("[data-testid=segment-group]")[1].QuerySelector("[data-testid=add-identity]")!.ClickAsync(new());

        Assert.Equal(2, Root.Children.Count);
        Assert.IsType<AttributeCondition>(Root.Children[0]);
        var group = Assert.IsType<GroupNode>(Root.Children[1]);
        Assert.Equal(GroupKind.AnyOf, group.Kind);
        Assert.IsType<EventCondition>(group.Children[0]);
        Assert.Equal(new IdentityCondition(group.Children[1].Id, "email", true), group.Children[1]);
        Assert.Equal(5, cut.FindAll("[data-testid=segment-node]").Count + 1); // four nodes under the root, plus the root
        Assert.Equal(_rule.Root.Id, cut.Find("[data-testid=segment-group]").GetAttribute("data-node-id"));
    }

    [Fact]
    public async Task Remove_TakesTheNodeOut_AndMoveUpReorders()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [Country("a"), Orders("b"), new IdentityCondition("c", "email", true)])));

        await cut.Find("[data-node-id=b] [data-testid=node-remove]").ClickAsync(new());
        Assert.Equal(["a", "c"], Root.Children.Select(c => c.Id));

        await cut.Find("[data-node-id=c] [data-testid=node-up]").ClickAsync(new());
        Assert.Equal(["c", "a"], Root.Children.Select(c => c.Id));
        Assert.True(cut.Find("[data-node-id=c] [data-testid=node-up]").HasAttribute("disabled"));
        Assert.Equal(["c", "a"], cut.FindAll("[data-testid=segment-node]").Select(n => n.GetAttribute("data-node-id")));
    }

    [Fact]
    public async Task Duplicate_AGroup_CopiesItAndItsChildrenWithFreshIds()
    {
        var inner = new GroupNode("g", GroupKind.AnyOf, [Country("a"), Orders("b")]);
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [inner])));

        await cut.Find("[data-testid=segment-node][data-node-id=g] > [data-testid=node-actions] [data-testid=node-duplicate]").ClickAsync(new());

        Assert.Equal(2, Root.Children.Count);
        Assert.Same(inner, Root.Children[0]);
        var copy = Assert.IsType<GroupNode>(Root.Children[1]);
        Assert.Equal(GroupKind.AnyOf, copy.Kind);
        Assert.Equal(inner.Children.Select(c => c with { Id = "" }), copy.Children.Select(c => c with { Id = "" }));
        var ids = SegmentDependenciesIds(_rule.Root);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(SegmentRuleValidator.Validate(_rule));
    }

    private static List<string> SegmentDependenciesIds(SegmentNode node) =>
        node is GroupNode g ? [g.Id, .. g.Children.SelectMany(SegmentDependenciesIds)] : [node.Id];

    [Fact]
    public async Task Problems_AreShownNextToTheirNode()
    {
        var blank = new AttributeCondition("blank", "", new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 5, NumberTo = 1 });
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [Country("ok"), blank, new GroupNode("empty", GroupKind.AnyOf, [])])));

        var atBlank = cut.FindAll("[data-testid=node-problem][data-node-id=blank]").Select(p => p.TextContent).ToList();
        Assert.Contains("Choose the attribute path.", atBlank);
        Assert.Empty(cut.FindAll("[data-node-id=ok] [data-testid=node-problem]"));
        Assert.Contains("group is empty", cut.Find("[data-testid=node-problem][data-node-id=empty]").TextContent);
        // The problem sits inside the node it is about.
        Assert.NotNull(cut.Find("[data-testid=segment-node][data-node-id=blank] [data-testid=node-problem]"));

        await cut.Find("[data-node-id=blank] [data-testid=node-remove]").ClickAsync(new());

        Assert.Empty(cut.FindAll("[data-testid=node-problem][data-node-id=blank]"));
    }

    [Fact]
    public async Task Sentence_ReadsTheWholeRule_AndFollowsEdits()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [Country(), Orders()])));

        Assert.Equal("People whose country is France and who performed Order Completed at least twice in the last 30 days",
            cut.Find("[data-testid=segment-sentence]").TextContent);

        await cut.Find("[data-node-id=orders] [data-testid=node-remove]").ClickAsync(new());

        Assert.Equal("People whose country is France", cut.Find("[data-testid=segment-sentence]").TextContent);
    }

    [Fact]
    public async Task GroupKind_ChangedToAnyOf_ChangesTheRule()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [Country(), Orders()])));

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<GroupKind>>().Instance.ValueChanged.InvokeAsync(GroupKind.AnyOf));

        Assert.Equal(GroupKind.AnyOf, Root.Kind);
        Assert.StartsWith("People either whose country is France or who performed", cut.Find("[data-testid=segment-sentence]").TextContent);
    }

    [Fact]
    public async Task InList_ChipsFromACommaSeparatedEntry_AndRemovedOneByOne()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new AttributeCondition("c", "country", new ValueTest(ValueTestType.Text, ValueOperator.InList))])));
        Assert.Contains("needs at least one value", cut.Find("[data-testid=node-problem][data-node-id=c]").TextContent);

        cut.Find("input[data-testid=value-chip-input]").Change("France, Spain,,Italy");

        var test = Assert.IsType<AttributeCondition>(Root.Children[0]).Test;
        Assert.Equal(["France", "Spain", "Italy"], test.Texts);
        Assert.Equal(["France", "Spain", "Italy"], cut.FindAll("[data-testid=value-chip]").Select(c => c.TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=node-problem]"));

        await cut.FindAll("[data-testid=value-chip] .mud-chip-close-button")[1].ClickAsync(new());

        Assert.Equal(["France", "Italy"], Assert.IsType<AttributeCondition>(Root.Children[0]).Test.Texts);
    }

    [Fact]
    public async Task TypeAndOperator_ShowTheValueEditorTheyRead()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Text, ValueOperator.Equals))])));
        Assert.NotNull(cut.Find("[data-testid=value-text]"));

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueTestType>>().Instance.ValueChanged.InvokeAsync(ValueTestType.Number));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueOperator>>().Instance.ValueChanged.InvokeAsync(ValueOperator.Between));
        cut.Find("input[data-testid=value-number]").Input("100");
        cut.Find("input[data-testid=value-number-to]").Input("500");

        cut.WaitForAssertion(() => Assert.Equal(new ValueTest(ValueTestType.Number, ValueOperator.Between) { Number = 100, NumberTo = 500 },
            Assert.IsType<AttributeCondition>(Root.Children[0]).Test));
        Assert.Equal("People whose lifetime_value is between 100 and 500", cut.Find("[data-testid=segment-sentence]").TextContent);

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueTestType>>().Instance.ValueChanged.InvokeAsync(ValueTestType.Date));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueOperator>>().Instance.ValueChanged.InvokeAsync(ValueOperator.WithinLastDays));

        Assert.Equal(new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 30 }, Assert.IsType<AttributeCondition>(Root.Children[0]).Test);
        Assert.NotNull(cut.Find("[data-testid=value-days]"));
        Assert.Empty(cut.FindAll("[data-testid=value-number]"));
    }

    [Fact]
    public async Task EventCondition_CountWindowPropertyAndAggregate_ChangeTheRule()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new EventCondition("e", "Order Completed", true)])));

        cut.Find("input[data-testid=event-count-times]").Input("3");
        cut.WaitForAssertion(() => Assert.NotNull(Assert.IsType<EventCondition>(Root.Children[0]).Count));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<EventConditionEditor.WindowChoice>>().Instance.ValueChanged.InvokeAsync(EventConditionEditor.WindowChoice.LastHours));
        cut.WaitForAssertion(() => Assert.NotNull(Assert.IsType<EventCondition>(Root.Children[0]).Window));
        await cut.Find("[data-testid=event-add-aggregate]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.NotNull(Assert.IsType<EventCondition>(Root.Children[0]).Aggregate));
        await cut.Find("[data-testid=event-add-property]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Single(Assert.IsType<EventCondition>(Root.Children[0]).Properties));

        var e = Assert.IsType<EventCondition>(Root.Children[0]);
        Assert.Equal(new EventCount(CountOperator.AtLeast, 3), e.Count);
        Assert.Equal(new EventWindow(WindowKind.LastHours) { Amount = 24 }, e.Window);
        Assert.Equal(AggregateFunction.Sum, e.Aggregate!.Function);
        Assert.Single(e.Properties);
        // The new aggregate and property still need their paths: the validator says so at the event node.
        var problems = cut.FindAll("[data-testid=node-problem][data-node-id=e]").Select(p => p.TextContent).ToList();
        Assert.Contains("Choose the property path.", problems);
        Assert.Contains("Choose the aggregated property path.", problems);

        // One edit after the other, each seen by the next (as a person clicks).
        await cut.Find("[data-testid=event-aggregate-remove]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Null(Assert.IsType<EventCondition>(Root.Children[0]).Aggregate));
        await cut.Find("[data-testid=event-property-remove]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Empty(Assert.IsType<EventCondition>(Root.Children[0]).Properties));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<bool>>().Instance.ValueChanged.InvokeAsync(false));
        cut.WaitForAssertion(() => Assert.False(Assert.IsType<EventCondition>(Root.Children[0]).Performed));

        Assert.Equal("People who did not perform Order Completed at least 3 times in the last 24 hours", cut.Find("[data-testid=segment-sentence]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=node-problem]"));
    }

    [Fact]
    public async Task EventPicker_OffersTrackEventsOnly()
    {
        // Rules count track events: the catalog's "Page viewed" (all page views, whatever their names) is not offered.
        await _studio.StartHostedServicesAsync();
        await SchemaSeed.WriteAsync(_studio); // track "Order Completed" five times, page "/pricing" once
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new EventCondition("e", "", true)])));

        cut.Find("input[data-testid=event-name-e]").Input("");
        cut.Find("input[data-testid=event-name-e]").Input("e"); // in both entries' names

        _popover.WaitForAssertion(() => Assert.Equal(["Order Completed"],
            _popover.FindAll("[data-testid=event-option]").Select(o => o.QuerySelector("span")!.TextContent)), TimeSpan.FromSeconds(5));
        _popover.Find(".mud-list-item").Click();
        cut.WaitForAssertion(() => Assert.Equal("Order Completed", Assert.IsType<EventCondition>(Root.Children[0]).EventName));
    }

    [Fact]
    public async Task AttributePicker_OffersActiveComputedAttributes_AndPickingOneMakesTheTestNumeric()
    {
        // README: a condition may read an aggregate computed attribute by its name. Only sent traits were offered.
        await _studio.StartHostedServicesAsync();
        await SchemaSeed.WriteAsync(_studio);
        var store = _studio.Services.GetRequiredService<ProfileStudio.Core.ComputedAttributes.ComputedAttributeStore>();
        var saved = await store.SaveAsync(ProfileStudio.Core.Auditing.AuditActor.System, null, new ProfileStudio.Core.ComputedAttributes.ComputedAttributeDraft(
            "lifetime_value", null, ProfileStudio.Core.ComputedAttributes.ComputedFunction.Sum, ["Order Completed"], "revenue", [], ProfileStudio.Core.ComputedAttributes.LookbackWindow.AllTime));
        Assert.True((await store.ActivateAsync(ProfileStudio.Core.Auditing.AuditActor.System, saved.Definition!.Id)).Succeeded);
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new AttributeCondition("a", "", new ValueTest(ValueTestType.Text, ValueOperator.Equals))])));

        cut.Find("input[data-testid=attribute-path-a]").Input("");
        cut.Find("input[data-testid=attribute-path-a]").Input("lifetime");

        _popover.WaitForAssertion(() => Assert.Contains("lifetime_value", _popover.Find("[data-testid=attribute-option]").TextContent), TimeSpan.FromSeconds(5));
        _popover.Find(".mud-list-item").Click();
        cut.WaitForAssertion(() => Assert.Equal(("lifetime_value", ValueTestType.Number),
            (Assert.IsType<AttributeCondition>(Root.Children[0]).Path, Assert.IsType<AttributeCondition>(Root.Children[0]).Test.Type)));
    }

    [Fact]
    public void NumberFields_OutOfRange_KeepTheTypedNumber_AndShowTheValidatorsRange()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [Orders("e"), new AttributeCondition("d", "signup", new ValueTest(ValueTestType.Date, ValueOperator.WithinLastDays) { Days = 30 })])));

        cut.Find("input[data-testid=event-window-amount]").Input("-5");
        cut.Find("input[data-testid=event-count-times]").Input("1000000000000");
        cut.Find("input[data-testid=value-days]").Input("0");

        // The rule holds what the boxes show (a number beyond int as int.MaxValue, refused like any too large), not Min / Max.
        cut.WaitForAssertion(() => Assert.Equal(0, Assert.IsType<AttributeCondition>(Root.Children[1]).Test.Days));
        var e = Assert.IsType<EventCondition>(Root.Children[0]);
        Assert.Equal((-5, int.MaxValue), (e.Window!.Amount, e.Count!.Times));
        Assert.Equal(("-5", "1000000000000", "0"), (Box(cut, "event-window-amount"), Box(cut, "event-count-times"), Box(cut, "value-days")));
        var problems = cut.FindAll("[data-testid=node-problem]").Select(p => p.TextContent).ToList();
        Assert.Contains("The number of days in the window must be between 1 and 36,500 (it is -5).", problems);
        Assert.Contains("The number of times must be between 1 and 1,000,000 (what was typed is far beyond that).", problems);
        Assert.Contains("The number of days must be between 1 and 36,500 (it is 0).", problems);
        // In words, the stand-in for a number beyond an int is not shown as if typed.
        Assert.Equal("People who performed Order Completed at least ? times in the last -5 days and whose signup is within the last 0 days",
            SegmentSentence.Describe(_rule));

        cut.Find("input[data-testid=event-count-times]").Input("2.5");

        cut.WaitForAssertion(() => Assert.Contains("The number of times must be between 1 and 1,000,000 (type a whole number).",
            cut.FindAll("[data-testid=node-problem]").Select(p => p.TextContent)));
        Assert.DoesNotContain("2,147,483,648", SegmentSentence.Describe(_rule));
    }

    [Fact]
    public void NumberValue_BeyondADouble_StaysInTheBox_SaysWhyUnderIt_AndTheRuleHasNoNumber()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan) { Number = 100 })])));

        cut.Find("input[data-testid=value-number]").Input("1e309");

        // MudNumericField handed on 1.7976931348623157E+308, the largest double, and said nothing.
        cut.WaitForAssertion(() => Assert.Null(Assert.IsType<AttributeCondition>(Root.Children[0]).Test.Number));
        Assert.Equal("1e309", Box(cut, "value-number"));
        cut.WaitForAssertion(() => Assert.Equal("\"1e309\" is too large: numbers here go up to 1.7976931348623157E+308.", Error(cut, "value-number"))); // under the box
        Assert.Empty(NodeProblems(cut)); // the box says it: not the node's "needs a number" too
        Assert.Contains(SegmentRuleValidator.Validate(_rule), p => p is { NodeId: "c", NumberMissing: true }); // not saved as anything

        cut.Find("input[data-testid=value-number]").Input("250");

        cut.WaitForAssertion(() => Assert.Equal(250, Assert.IsType<AttributeCondition>(Root.Children[0]).Test.Number));
        cut.WaitForAssertion(() => Assert.Null(Error(cut, "value-number")));
        Assert.Empty(cut.FindAll("[data-testid=node-problem]"));
    }

    [Fact]
    public async Task NumberValues_Between_ANegativeNumberBeyondADouble_AndText_KeepTheirText_AndSayWhy()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan) { Number = 100 })])));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueOperator>>().Instance.ValueChanged.InvokeAsync(ValueOperator.Between));

        cut.Find("input[data-testid=value-number]").Input("-1e400");
        cut.Find("input[data-testid=value-number-to]").Input("12,5");

        cut.WaitForAssertion(() => Assert.Equal(("-1e400", "12,5"), (Box(cut, "value-number"), Box(cut, "value-number-to"))));
        var test = Assert.IsType<AttributeCondition>(Root.Children[0]).Test;
        Assert.Equal((null, null), (test.Number, test.NumberTo));
        cut.WaitForAssertion(() => Assert.Equal(
            ("\"-1e400\" is too large a negative number: numbers here go down to -1.7976931348623157E+308.", "\"12,5\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6)."),
            (Error(cut, "value-number"), Error(cut, "value-number-to"))));
    }

    [Fact]
    public async Task NumberValue_NotANumber_ShowsOneMessage_TheBoxsSayingWhatToType()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan) { Number = 100 })])));

        foreach (var typed in new[] { "abc", "12,,5" })
        {
            cut.Find("input[data-testid=value-number]").Input(typed);

            // The node said "\">\" needs a number." beside the box's message.
            cut.WaitForAssertion(() => Assert.Equal($"\"{typed}\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).", Error(cut, "value-number")));
            Assert.Empty(NodeProblems(cut));
            Assert.Null(Assert.IsType<AttributeCondition>(Root.Children[0]).Test.Number); // and the rule cannot be saved
        }

        // An empty box says nothing itself: the node says what is missing.
        cut.Find("input[data-testid=value-number]").Input("");
        cut.WaitForAssertion(() => Assert.Equal(["\">\" needs a number."], NodeProblems(cut)));
        Assert.Null(Error(cut, "value-number"));

        // The box goes with its operator ("between" has two new, empty ones): the node says what is missing again.
        cut.Find("input[data-testid=value-number]").Input("abc");
        cut.WaitForAssertion(() => Assert.Empty(NodeProblems(cut)));
        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<ValueOperator>>().Instance.ValueChanged.InvokeAsync(ValueOperator.Between));
        cut.WaitForAssertion(() => Assert.Equal(["\"between\" needs two numbers (low and high)."], NodeProblems(cut)));

        cut.Find("input[data-testid=value-number]").Input("abc");
        cut.Find("input[data-testid=value-number-to]").Input("5");
        cut.WaitForAssertion(() => Assert.Equal("\"abc\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).", Error(cut, "value-number")));
        Assert.Empty(NodeProblems(cut));
    }

    [Fact]
    public void NumberValue_NotANumber_ThenARuleFromElsewhereWithoutThatBox_TheNodeSaysWhatIsMissing()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan) { Number = 100 })])));
        cut.Find("input[data-testid=value-number]").Input("abc");
        cut.WaitForAssertion(() => Assert.Empty(NodeProblems(cut)));

        // As a reload after a conflict gives the page the stored rule: the box that said why goes after the node was drawn.
        _rule = new SegmentRule(new GroupNode("root", GroupKind.AllOf,
            [new AttributeCondition("c", "lifetime_value", new ValueTest(ValueTestType.Number, ValueOperator.Between))]));
        cut.Render(p => Parameters(p, readOnly: false, segments: null));

        cut.WaitForAssertion(() => Assert.Equal(["\"between\" needs two numbers (low and high)."], NodeProblems(cut)));
    }

    [Fact]
    public void NumberValue_NotANumber_InAPropertyCondition_LeavesOutThatTestsMessageOnly_TheAggregateStillSaysItsOwn()
    {
        // One event condition, two number tests: "amount > ?" on a property and "sum of amount ≥ ?", both without a number.
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf,
        [
            new EventCondition("e", "Order Completed", true)
            {
                Properties = [new PropertyTest("amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterThan))],
                Aggregate = new EventAggregate(AggregateFunction.Sum, "amount", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual)),
            },
        ])));
        Assert.Equal(["property amount: \">\" needs a number.", "sum of amount: \"≥\" needs a number."], NodeProblems(cut));

        cut.FindAll("input[data-testid=value-number]")[0].Input("abc");

        // The property's box says why; the aggregate, whose box is empty, still says what is missing (it was hidden too).
        cut.WaitForAssertion(() => Assert.Equal("\"abc\" is not a number: type digits, with a point for decimals (12, -3.5, 1e6).",
            cut.FindAll("input[data-testid=value-number]")[0].Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim()));
        cut.WaitForAssertion(() => Assert.Equal(["sum of amount: \"≥\" needs a number."], NodeProblems(cut)));

        cut.FindAll("input[data-testid=value-number]")[1].Input("xyz");

        cut.WaitForAssertion(() => Assert.Empty(NodeProblems(cut)));
    }

    private static List<string> NodeProblems(IRenderedComponent<IComponent> cut) =>
        cut.FindAll("[data-testid=node-problem]").Select(p => p.TextContent).ToList();

    /// <summary>The message shown under a number field (null: none).</summary>
    private static string? Error(IRenderedComponent<IComponent> cut, string testId) =>
        cut.Find($"input[data-testid={testId}]").Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } text ? text : null;

    /// <summary>The text a number field holds (the input's value attribute in bUnit is its first render's).</summary>
    internal static string? Box(IRenderedComponent<IComponent> cut, string testId) => cut.FindComponents<MudTextField<string>>()
        .Single(f => Equals(f.Instance.UserAttributes.GetValueOrDefault("data-testid"), testId)).Instance.Value;

    [Fact]
    public void ReadOnly_ShowsTheRuleWithoutAnyEditingAction()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [Country(), new SegmentCondition("s", 7, true)])), readOnly: true,
            segments: [new SegmentChoice(7, "Recent buyers", SegmentStatus.Active)]);

        Assert.Empty(cut.FindAll("[data-testid=node-actions]"));
        Assert.Empty(cut.FindAll("[data-testid=group-add]"));
        Assert.All(cut.FindComponents<MudSelect<GroupKind>>(), s => Assert.True(s.Instance.Disabled));
        Assert.Equal("People whose country is France and who are in segment Recent buyers", cut.Find("[data-testid=segment-sentence]").TextContent);
    }

    [Fact]
    public async Task SegmentReference_ThePickerShowsEachChoicesStatus_AndAConditionOnADraftSaysWhatItMatches()
    {
        var cut = Builder(new SegmentRule(new GroupNode("root", GroupKind.AllOf, [new SegmentCondition("s", 7, true)])), segments:
        [
            new SegmentChoice(7, "Big spenders", SegmentStatus.Draft), new SegmentChoice(8, "Buyers", SegmentStatus.Active),
            new SegmentChoice(9, "Lapsed", SegmentStatus.Disabled),
        ]);

        Assert.Equal("\"Big spenders\" is a draft: nobody is in it until it is activated, so this condition matches nobody.",
            Assert.Single(cut.FindAll("[data-testid=node-warning][data-node-id=s]")).TextContent);
        Assert.Empty(cut.FindAll("[data-testid=node-problem]")); // it saves: a warning, not a problem
        Assert.Equal("Big spenders (draft)", cut.FindComponents<MudSelect<long>>().Single().Instance.Text);
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<long>>().Single().Instance.OpenMenu());
        _popover.WaitForAssertion(() => Assert.Equal(
            ["Big spenders — draft: nobody is in it until it is activated", "Buyers", "Lapsed — disabled: nobody is in it until it is activated again"],
            _popover.FindAll("[data-testid=segment-choice]").Select(c => c.TextContent)));

        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<bool>>().Single().Instance.ValueChanged.InvokeAsync(false));
        Assert.EndsWith("so this condition matches everybody.", cut.Find("[data-testid=node-warning][data-node-id=s]").TextContent);

        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<long>>().Single().Instance.ValueChanged.InvokeAsync(8L));
        Assert.Equal(new SegmentCondition("s", 8, false), Root.Children[0]);
        Assert.Empty(cut.FindAll("[data-testid=node-warning]"));
    }
}
