namespace ProfileStudio.Core.Hosting;

/// <summary>
/// The app's clock when <c>ProfileStudio:Testing:ClockControl</c> is true (end-to-end tests only; never by
/// default, refused in Production): the system clock plus an offset that an administrator moves forward
/// with <c>POST /api/testing/clock/advance?hours=N</c>. Everything that reads "now" through the injected
/// <see cref="TimeProvider"/> (windows, expiry, sessions) sees the moved time; timers keep real durations.
/// </summary>
public sealed class OffsetTimeProvider : TimeProvider
{
    public const string Setting = "ProfileStudio:Testing:ClockControl";

    /// <summary>The furthest one call moves the clock (five years).</summary>
    public const int MaxHoursPerAdvance = 24 * 366 * 5;

    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "The test clock only moves forward.");
        }
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }
}
