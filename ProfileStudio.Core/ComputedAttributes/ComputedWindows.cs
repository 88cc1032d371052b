namespace ProfileStudio.Core.ComputedAttributes;

/// <summary>
/// The one definition of a lookback window, used by the live state, the expiry job, the backfill and
/// the from-scratch computation alike. Events are kept in time buckets aligned to UTC: hourly for a
/// window in hours, daily (UTC midnight) for days, weeks and months. At a moment <c>now</c>, the
/// window's cut is <c>bucket(now) - N units</c> (for months: <c>bucket(now)</c> minus N calendar
/// months), and an event is inside the window when its bucket starts after the cut. So "last 30 days"
/// is today and the 29 days before it, whole; "last 24 hours" is this hour and the 23 before it. An
/// event never counts once it is older than the window, and values change only at bucket boundaries,
/// which is when the expiry job looks. Events dated in the future are inside until they are old.
/// </summary>
public static class ComputedWindows
{
    private static readonly long Hour = TimeSpan.TicksPerHour;
    private static readonly long Day = TimeSpan.TicksPerDay;

    /// <summary>The start of the bucket holding <paramref name="at"/> (all time: one bucket, 0).</summary>
    public static long Bucket(LookbackWindow window, DateTime at) => window.Unit switch
    {
        WindowUnit.AllTime => 0,
        WindowUnit.Hours => at.Ticks - at.Ticks % Hour,
        _ => at.Ticks - at.Ticks % Day,
    };

    /// <summary>Buckets starting at or before this are outside the window at <paramref name="now"/> (all time: none).</summary>
    public static long Cut(LookbackWindow window, DateTime now)
    {
        var bucket = Bucket(window, now);
        return window.Unit switch
        {
            WindowUnit.AllTime => long.MinValue,
            WindowUnit.Hours => bucket - window.Size * Hour,
            WindowUnit.Days => bucket - window.Size * Day,
            WindowUnit.Weeks => bucket - window.Size * 7 * Day,
            _ => new DateTime(Math.Max(bucket, DateTime.MinValue.AddMonths(window.Size).Ticks), DateTimeKind.Utc).AddMonths(-window.Size).Ticks,
        };
    }

    public static bool Includes(LookbackWindow window, DateTime eventAt, DateTime now) => Bucket(window, eventAt) > Cut(window, now);

    /// <summary>The first moment at which the bucket starting at <paramref name="bucket"/> is outside the window (null: never).</summary>
    public static DateTime? Expiry(LookbackWindow window, long bucket)
    {
        if (window.IsAllTime)
        {
            return null;
        }
        long step = window.Unit == WindowUnit.Hours ? Hour : Day;
        // The cut only moves at bucket starts, so the expiry is a bucket start; months vary in length, so step to it.
        var at = window.Unit switch
        {
            WindowUnit.Hours => bucket + window.Size * Hour,
            WindowUnit.Days => bucket + window.Size * Day,
            WindowUnit.Weeks => bucket + window.Size * 7 * Day,
            _ => Math.Min(DateTime.MaxValue.Ticks - Day, new DateTime(bucket, DateTimeKind.Utc).AddMonths(Math.Min(window.Size, 12 * 9000)).Ticks - 4 * Day),
        };
        at -= at % step;
        while (Cut(window, new DateTime(at, DateTimeKind.Utc)) < bucket)
        {
            at += step;
        }
        return new DateTime(at, DateTimeKind.Utc);
    }
}
