using System.Text.Json;
using ProfileStudio.Core.Formatting;

namespace ProfileStudio.Tests.Formatting;

public sealed class DisplayFormatTests
{
    private static string Value(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return DisplayFormat.Value(doc.RootElement);
    }

    [Fact]
    public void Time_IsDayMonthYearAndMinutes() =>
        Assert.Equal("12 Nov 2026, 14:05", DisplayFormat.Time(new DateTime(2026, 11, 12, 14, 5, 31, DateTimeKind.Utc)));

    [Fact]
    public void TimeUtc_SaysUtc() =>
        Assert.Equal("3 Feb 2026, 09:00 UTC", DisplayFormat.TimeUtc(new DateTime(2026, 2, 3, 9, 0, 0, DateTimeKind.Utc)));

    [Fact]
    public void ExactTime_HasSecondsAndMillisecondsWhenThereAreAny()
    {
        Assert.Equal("1 Mar 2026, 12:00:00 UTC", DisplayFormat.ExactTime(new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("1 Mar 2026, 12:00:00.250 UTC", DisplayFormat.ExactTime(new DateTime(2026, 3, 1, 12, 0, 0, 250, DateTimeKind.Utc)));
    }

    [Fact]
    public void PrecisionToTellApart_MinutesUnlessTwoTimesShareOne_ThenSeconds_ThenMilliseconds()
    {
        var t = new DateTime(2026, 3, 4, 16, 40, 12, DateTimeKind.Utc);

        Assert.Equal(TimePrecision.Minute, DisplayFormat.PrecisionToTellApart([t, t.AddMinutes(3), t.AddDays(1)]));
        Assert.Equal(TimePrecision.Minute, DisplayFormat.PrecisionToTellApart([t, t])); // equal times read equal anyway
        Assert.Equal(TimePrecision.Minute, DisplayFormat.PrecisionToTellApart([]));
        Assert.Equal(TimePrecision.Second, DisplayFormat.PrecisionToTellApart([t, t.AddSeconds(19), t.AddHours(1)]));
        Assert.Equal(TimePrecision.Millisecond, DisplayFormat.PrecisionToTellApart([t, t.AddMilliseconds(250)]));
    }

    [Fact]
    public void Time_WithAPrecision_ShowsSecondsOrMillisecondsWhenAsked()
    {
        var t = new DateTime(2026, 3, 4, 16, 40, 12, 250, DateTimeKind.Utc);

        Assert.Equal("4 Mar 2026, 16:40", DisplayFormat.Time(t, TimePrecision.Minute));
        Assert.Equal("4 Mar 2026, 16:40:12 UTC", DisplayFormat.TimeUtc(t, TimePrecision.Second));
        Assert.Equal("4 Mar 2026, 16:40:12.250", DisplayFormat.Time(t, TimePrecision.Millisecond));
    }

    [Theory]
    [InlineData("\"1987-07-20T00:00:00.0000000Z\"", "20 Jul 1987")]
    [InlineData("\"1987-07-20\"", "20 Jul 1987")]
    [InlineData("\"2026-11-12T14:05:09Z\"", "12 Nov 2026, 14:05 UTC")]
    [InlineData("\"2026-11-12T16:05:00+02:00\"", "12 Nov 2026, 14:05 UTC")]
    [InlineData("\"2026-11-12 14:05:00\"", "12 Nov 2026, 14:05 UTC")]
    public void Value_IsoDatesAndTimes_AreShownForPeople(string json, string expected) => Assert.Equal(expected, Value(json));

    [Theory]
    [InlineData("\"Ada Lovelace\"", "Ada Lovelace")]
    [InlineData("\"2026-13-45\"", "2026-13-45")]
    [InlineData("\"1234-5678-9012\"", "1234-5678-9012")]
    [InlineData("\"<b>x</b>\"", "<b>x</b>")]
    [InlineData("\"00123\"", "00123")]
    public void Value_OtherText_IsLeftAsWritten(string json, string expected) => Assert.Equal(expected, Value(json));

    [Theory]
    [InlineData("[\"\\u003Cb\\u003Ebold\\u003C/b\\u003E\",\"\\uD83C\\uDF89\",\"a/b%20\",10]", "[\"<b>bold</b>\",\"🎉\",\"a/b%20\",10]")]
    [InlineData("{\"q\":\"say \\\"hi\\\"\",\"n\":\"caf\\u00E9\"}", "{\"q\":\"say \\\"hi\\\"\",\"n\":\"café\"}")]
    [InlineData("[\"tab\\there\"]", "[\"tab\\there\"]")]
    public void Value_ListsAndObjects_ShowTheirTextAsWritten_NotAsEscapes(string json, string expected) => Assert.Equal(expected, Value(json));

    [Theory]
    [InlineData("1234.5", "1,234.5")]
    [InlineData("1498.76", "1,498.76")]
    [InlineData("999", "999")]
    [InlineData("12480.5", "12,480.5")]
    [InlineData("1500000", "1,500,000")]
    [InlineData("-25000.75", "-25,000.75")]
    [InlineData("0.25", "0.25")]
    [InlineData("1e3", "1,000")]
    [InlineData("-1e-300", "-1e-300")] // not 0: a decimal holds it as 0
    [InlineData("0.0000000000001", "0.0000000000001")] // 1e-13: twelve decimals would round it to 0
    [InlineData("0.000000000001", "0.000000000001")]
    [InlineData("0.0", "0")]
    [InlineData("-0", "0")]
    [InlineData("0e5", "0")]
    [InlineData("true", "yes")]
    [InlineData("false", "no")]
    [InlineData("null", "—")]
    [InlineData("[1,2]", "[1,2]")]
    [InlineData("{\"a\":1}", "{\"a\":1}")]
    public void Value_NumbersBooleansAndStructures(string json, string expected) => Assert.Equal(expected, Value(json));

    [Fact]
    public void Value_TextThatIsNotJson_IsShownAsItIs() => Assert.Equal("not json {", DisplayFormat.Value("not json {"));

    [Fact]
    public void Date_IsDayMonthYear() => Assert.Equal("5 Jan 2027", DisplayFormat.Date(new DateOnly(2027, 1, 5)));

    [Theory]
    [InlineData(2854)]
    [InlineData(1204)]
    [InlineData(1500000)]
    public void Number_AWholeNumber_ReadsAsTheSameCount(long n) => Assert.Equal(DisplayFormat.Count(n), DisplayFormat.Number((decimal)n));

    [Theory]
    [InlineData(1498.76, "1,498.76")]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0 / 3, "0.3333333333")]
    [InlineData(-2500.5, "-2,500.5")]
    [InlineData(1e300, "1E+300")]
    public void Number_ADouble_FollowsTheSameRule(double value, string expected) => Assert.Equal(expected, DisplayFormat.Number(value));
}
