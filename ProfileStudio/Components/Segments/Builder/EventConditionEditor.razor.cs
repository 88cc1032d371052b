using Microsoft.AspNetCore.Components;
using ProfileStudio.Core.Schema;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Components.Segments.Builder;

/// <summary>The editor of one event condition: count, window, property tests and an optional aggregate.</summary>
public sealed partial class EventConditionEditor
{
    public enum WindowChoice
    {
        AnyTime,
        LastHours,
        LastDays,
        Between,
    }

    // The catalog key of the picked event (track:Order Completed: rules count track events only), kept beside the name the rule stores.
    private string? _eventKey;

    [CascadingParameter] public SegmentBuilderContext Context { get; set; } = default!;
    [Parameter, EditorRequired] public EventCondition Condition { get; set; } = default!;
    [Parameter] public EventCallback<SegmentNode> Changed { get; set; }

    private bool ReadOnly => Context.ReadOnly;

    private string? EventKey => Condition.EventName.Length == 0 ? null : _eventKey ?? "track:" + Condition.EventName;

    private IReadOnlyCollection<string> EventKeys => EventKey is { } key ? [key] : [];

    private CountOperator CountOp => Condition.Count?.Operator ?? CountOperator.AtLeast;

    private int Times => Condition.Count?.Times ?? 1;

    private WindowChoice Window => Condition.Window?.Kind switch
    {
        WindowKind.LastHours => WindowChoice.LastHours,
        WindowKind.LastDays => WindowChoice.LastDays,
        WindowKind.Between => WindowChoice.Between,
        _ => WindowChoice.AnyTime,
    };

    private Task ChangeAsync(EventCondition changed) => Changed.InvokeAsync(changed);

    private Task OnEventKeyAsync(string? key)
    {
        _eventKey = key;
        // The name part of a track key (the picker offers no other kind).
        var name = key is null ? "" : key.StartsWith("track:", StringComparison.Ordinal) ? key[6..] : Condition.EventName;
        return name == Condition.EventName ? Task.CompletedTask : ChangeAsync(Condition with { EventName = name });
    }

    private Task OnEventAsync(EventSummary? e) =>
        e is null || e.Name == Condition.EventName ? Task.CompletedTask : ChangeAsync(Condition with { EventName = e.Name });

    // "At least once" is the default and is stored as no count, so the sentence stays short.
    private Task CountAsync(CountOperator op, int times) =>
        ChangeAsync(Condition with { Count = op == CountOperator.AtLeast && times == 1 ? null : new EventCount(op, times) });

    private Task WindowAsync(WindowChoice choice) => ChangeAsync(Condition with
    {
        Window = choice switch
        {
            WindowChoice.LastHours => new EventWindow(WindowKind.LastHours) { Amount = Condition.Window?.Amount ?? 24 },
            WindowChoice.LastDays => new EventWindow(WindowKind.LastDays) { Amount = Condition.Window?.Amount ?? 30 },
            WindowChoice.Between => new EventWindow(WindowKind.Between),
            _ => null,
        },
    });

    private static DateTime? Day(DateTime? date) => date is { } d ? SegmentRuleEdits.StartOfDay(d) : null;

    // "Between 1 and 3 March" includes the whole of 3 March (the window's end is inclusive, to the millisecond).
    private static DateTime? EndOfDay(DateTime? date) => date is { } d ? SegmentRuleEdits.EndOfDay(d) : null;

    private Task AddPropertyAsync() =>
        ChangeAsync(Condition with { Properties = [.. Condition.Properties, new PropertyTest("", new ValueTest(ValueTestType.Text, ValueOperator.Equals))] });

    private Task RemovePropertyAsync(int index) =>
        ChangeAsync(Condition with { Properties = [.. Condition.Properties.Where((_, i) => i != index)] });

    private Task PropertyAsync(int index, PropertyTest property) =>
        ChangeAsync(Condition with { Properties = [.. Condition.Properties.Select((p, i) => i == index ? property : p)] });

    private Task PropertyTypeAsync(int index, EventPropertySummary? summary)
    {
        if (summary is null || index >= Condition.Properties.Count)
        {
            return Task.CompletedTask;
        }
        var property = Condition.Properties[index];
        var type = SegmentBuilderText.FromSchema(summary.Type);
        return type == property.Test.Type ? Task.CompletedTask : PropertyAsync(index, property with { Path = summary.Path, Test = SegmentRuleEdits.WithType(property.Test, type) });
    }

    private Task AddAggregateAsync() => ChangeAsync(Condition with
    {
        Aggregate = new EventAggregate(AggregateFunction.Sum, "", new ValueTest(ValueTestType.Number, ValueOperator.GreaterOrEqual)),
    });
}
