namespace ProfileStudio.Core.Ingestion;

/// <summary>The limits of Segment's HTTP Tracking API, which clients already respect.</summary>
public static class TrackingLimits
{
    public const int MaxMessageBytes = 32 * 1024;
    public const int MaxRequestBytes = 500 * 1024;
    public const int MaxBatchMessages = 2500;
}
