using Microsoft.AspNetCore.Components;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Components.Profiles.Explorer;

public sealed partial class ProfileTimeline
{
    public const int PageSize = 50;

    private readonly List<ProfileEvent> _events = [];
    private readonly Dictionary<long, string> _raw = [];
    private IReadOnlyList<string> _names = [];
    private IReadOnlyList<ActivityDay> _days = [];
    private Dictionary<DateOnly, int> _dayTotals = [];
    private TimelineFilter _filter = new();
    private EventCursor? _next;
    private bool _loaded;
    private bool _busy;
    private string? _name;
    private DateTime? _from;
    private DateTime? _to;
    private long _loadedFor;
    private int _loadedVersion;

    [Parameter, EditorRequired] public long ProfileId { get; set; }

    [Parameter, EditorRequired] public IReadOnlyDictionary<int, string> SourceNames { get; set; } = new Dictionary<int, string>();

    /// <summary>How many events the profile has in all.</summary>
    [Parameter] public long TotalEvents { get; set; }

    /// <summary>Bumped by the page when the profile changed: the timeline reloads what it shows.</summary>
    [Parameter] public int Version { get; set; }

    [Inject] private ProfileExplorerReader Reader { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor != ProfileId)
        {
            (_loadedFor, _loadedVersion) = (ProfileId, Version);
            await ReloadAsync();
        }
        else if (_loadedVersion != Version)
        {
            _loadedVersion = Version;
            await RefreshAsync();
        }
    }

    /// <summary>The first page from the newest event (another profile, or another filter).</summary>
    private async Task ReloadAsync()
    {
        await LoadDaysAsync();
        var page = await Reader.TimelineAsync(ProfileId, _filter, null, PageSize);
        _events.Clear();
        _events.AddRange(page.Events);
        _next = page.Next;
        _loaded = true;
    }

    /// <summary>
    /// The profile changed (a live event, a merge): what is shown is read again down to the oldest event shown, so the events
    /// "Show older events" loaded stay, a new one takes its place (at the top when it is the newest), and paging goes on where it was.
    /// </summary>
    private async Task RefreshAsync()
    {
        await LoadDaysAsync();
        var oldestShown = _next is null || _events.Count == 0 ? (EventCursor?)null : new EventCursor(_events[^1].EventAt, _events[^1].Id);
        var page = await Reader.TimelineThroughAsync(ProfileId, _filter, oldestShown);
        _events.Clear();
        _events.AddRange(page.Events);
        _next = page.Next;
        _loaded = true;
    }

    private async Task LoadDaysAsync()
    {
        _names = await Reader.EventNamesAsync(ProfileId);
        _days = await Reader.ActivityAsync(ProfileId);
        _dayTotals = _days.ToDictionary(d => d.Day, d => d.Events);
    }

    private async Task MoreAsync()
    {
        _busy = true;
        var page = await Reader.TimelineAsync(ProfileId, _filter, _next, PageSize);
        _events.AddRange(page.Events);
        _next = page.Next;
        _busy = false;
    }

    private async Task OnExpandedAsync(ProfileEvent e, bool open)
    {
        if (open && !_raw.ContainsKey(e.MessageId) && await Reader.MessageAsync(e.MessageId) is { } message)
        {
            _raw[e.MessageId] = message.Payload;
        }
    }

    private Task OnNameChangedAsync(string? name)
    {
        _name = name;
        return FilterAsync();
    }

    private Task OnFromChangedAsync(DateTime? from)
    {
        _from = from;
        return FilterAsync();
    }

    private Task OnToChangedAsync(DateTime? to)
    {
        _to = to;
        return FilterAsync();
    }

    /// <summary>Why the dates select no day (From after To), said instead of "no event matches"; null when they are fine.</summary>
    private string? RangeProblem() =>
        _from?.Date is { } from && _to?.Date is { } to && from > to
            ? $"From ({DisplayFormat.Date(DateOnly.FromDateTime(from))}) is after To ({DisplayFormat.Date(DateOnly.FromDateTime(to))}): no day lies between them. Pick a From on or before To."
            : null;

    private Task FilterAsync()
    {
        // Dates are whole UTC days; "to" includes its day.
        _filter = new TimelineFilter(_name, _from?.Date is { } f ? DateTime.SpecifyKind(f, DateTimeKind.Utc) : null,
            _to?.Date is { } t ? DateTime.SpecifyKind(t.AddDays(1), DateTimeKind.Utc) : null);
        return ReloadAsync();
    }

    /// <summary>
    /// A day heading's count: the day's events when all are shown; "12 of 40 events shown" when only some are (the oldest day
    /// shown, cut by paging), from the day's total when the events are not filtered by name, else "12 shown so far".
    /// </summary>
    private string DayCount(DateOnly day, int shown)
    {
        var cut = _next is not null && _events.Count > 0 && DateOnly.FromDateTime(_events[^1].EventAt) == day;
        if (string.IsNullOrWhiteSpace(_filter.Name) && _dayTotals.TryGetValue(day, out var total) && total != shown)
        {
            return $"{shown:N0} of {total:N0} events shown";
        }
        return cut ? $"{shown:N0} shown so far" : $"{shown:N0} {(shown == 1 ? "event" : "events")}";
    }

    private string CountText() => _filter.IsEmpty
        ? $"Showing {_events.Count:N0} of {TotalEvents:N0} {(TotalEvents == 1 ? "event" : "events")}"
        : $"Showing {_events.Count:N0} matching {(_events.Count == 1 ? "event" : "events")}{(_next is null ? "" : " so far")}";
}
