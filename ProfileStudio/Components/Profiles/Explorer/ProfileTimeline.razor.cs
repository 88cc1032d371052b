using Microsoft.AspNetCore.Components;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Components.Profiles.Explorer;

public sealed partial class ProfileTimeline
{
    public const int PageSize = 50;

    private readonly List<ProfileEvent> _events = [];
    private readonly Dictionary<long, string> _raw = [];
    private IReadOnlyList<string> _names = [];
    private IReadOnlyList<ActivityDay> _days = [];
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
        if (_loadedFor != ProfileId || _loadedVersion != Version)
        {
            _loadedFor = ProfileId;
            _loadedVersion = Version;
            await ReloadAsync(keepShown: true);
        }
    }

    /// <summary>Reloads from the newest event; with <paramref name="keepShown"/>, at least as many events as were shown.</summary>
    private async Task ReloadAsync(bool keepShown)
    {
        var want = keepShown ? Math.Max(PageSize, _events.Count) : PageSize;
        _names = await Reader.EventNamesAsync(ProfileId);
        _days = await Reader.ActivityAsync(ProfileId);
        var page = await Reader.TimelineAsync(ProfileId, _filter, null, Math.Min(want, EventQuery.MaxLimit));
        _events.Clear();
        _events.AddRange(page.Events);
        _next = page.Next;
        _loaded = true;
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

    private Task FilterAsync()
    {
        // Dates are whole UTC days; "to" includes its day.
        _filter = new TimelineFilter(_name, _from?.Date is { } f ? DateTime.SpecifyKind(f, DateTimeKind.Utc) : null,
            _to?.Date is { } t ? DateTime.SpecifyKind(t.AddDays(1), DateTimeKind.Utc) : null);
        return ReloadAsync(keepShown: false);
    }

    private string CountText() => _filter.IsEmpty
        ? $"Showing {_events.Count:N0} of {TotalEvents:N0} {(TotalEvents == 1 ? "event" : "events")}"
        : $"Showing {_events.Count:N0} matching {(_events.Count == 1 ? "event" : "events")}{(_next is null ? "" : " so far")}";
}
