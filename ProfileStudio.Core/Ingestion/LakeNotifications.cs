namespace ProfileStudio.Core.Ingestion;

/// <summary>
/// Tells open pages (live debugger, source counters) and later the unification worker that the lake
/// grew, naming the sources that got messages. Subscribers must be quick and must not throw.
/// </summary>
public sealed class LakeNotifications
{
    public event Action<IReadOnlyCollection<int>>? Committed;

    public void Publish(IReadOnlyCollection<int> sourceIds)
    {
        foreach (var subscriber in Committed?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<IReadOnlyCollection<int>>)subscriber)(sourceIds);
            }
            catch (Exception)
            {
                // A broken page must not fail the writer; the page's next refresh recovers.
            }
        }
    }
}
