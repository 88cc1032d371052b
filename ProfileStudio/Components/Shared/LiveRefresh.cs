using ProfileStudio.Core.Ingestion;

namespace ProfileStudio.Components.Shared;

/// <summary>
/// Refreshes an open page when the lake grows, at most every <c>interval</c> (default 500 ms): under a
/// load of thousands of messages a second the page redraws twice a second, not once per message.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    private readonly LakeNotifications _lake;
    private readonly Func<IReadOnlyCollection<int>, bool> _relevant;
    private readonly Func<Task> _refresh;
    private readonly TimeSpan _interval;
    private int _scheduled;

    public LiveRefresh(LakeNotifications lake, Func<IReadOnlyCollection<int>, bool> relevant, Func<Task> refresh, TimeSpan? interval = null)
    {
        _lake = lake;
        _relevant = relevant;
        _refresh = refresh;
        _interval = interval ?? TimeSpan.FromMilliseconds(500);
        _lake.Committed += OnCommitted;
    }

    public bool Paused { get; set; }

    private void OnCommitted(IReadOnlyCollection<int> sourceIds)
    {
        if (Paused || !_relevant(sourceIds) || Interlocked.Exchange(ref _scheduled, 1) == 1)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            await Task.Delay(_interval);
            Interlocked.Exchange(ref _scheduled, 0);
            try
            {
                await _refresh();
            }
            catch (Exception)
            {
                // The circuit may be gone; the next notification tries again.
            }
        });
    }

    public void Dispose() => _lake.Committed -= OnCommitted;
}
