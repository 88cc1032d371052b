namespace ProfileStudio.Core.Ingestion.Files;

/// <summary>Progress of file batches for open pages (progress bars). Subscribers must be quick.</summary>
public sealed class FileBatchNotifications
{
    public event Action<long>? Changed;

    public void Publish(long batchId)
    {
        foreach (var subscriber in Changed?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<long>)subscriber)(batchId);
            }
            catch (Exception)
            {
                // A closed page must not stop the import.
            }
        }
    }
}
