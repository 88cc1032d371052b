using ProfileStudio.Core.Schema;

namespace ProfileStudio.Tests.Schema;

public sealed class SchemaValuesTests
{
    private static IReadOnlyList<TypeShare> Types(params string[] types) => types.Select(t => new TypeShare(t, 1)).ToList();

    [Theory]
    [InlineData("1952-01-01T00:00:00.0000000Z", new[] { SchemaTypes.Date }, "1 Jan 1952")]
    [InlineData("1987-07-20", new[] { SchemaTypes.Date }, "20 Jul 1987")]
    [InlineData("2026-11-12T14:05:09Z", new[] { SchemaTypes.Date }, "12 Nov 2026, 14:05 UTC")]
    [InlineData("1498.76", new[] { SchemaTypes.Number }, "1,498.76")]
    [InlineData("2854", new[] { SchemaTypes.Number }, "2,854")]
    [InlineData("1e3", new[] { SchemaTypes.Number }, "1,000")]
    [InlineData("true", new[] { SchemaTypes.Boolean }, "yes")]
    [InlineData("false", new[] { SchemaTypes.Boolean }, "no")]
    public void ForPeople_DatesNumbersAndBooleans_ReadAsEveryPageShowsValues(string example, string[] types, string expected) =>
        Assert.Equal(expected, SchemaValues.ForPeople(example, Types(types)));

    [Theory]
    [InlineData("00123", new[] { SchemaTypes.Text })]
    [InlineData("12345", new[] { SchemaTypes.Number, SchemaTypes.Text })] // the path holds text too: it may be a code
    [InlineData("true", new[] { SchemaTypes.Boolean, SchemaTypes.Text })]
    [InlineData("Ada Lovelace", new[] { SchemaTypes.Text })]
    [InlineData("[1,2]", new[] { SchemaTypes.List })]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234567890123456789…", new[] { SchemaTypes.Number })]
    public void ForPeople_TextCodesStructuresAndCutExamples_StayAsWritten(string example, string[] types) =>
        Assert.Equal(example, SchemaValues.ForPeople(example, Types(types)));

    [Fact]
    public void ForPeople_APathOfDatesAndText_ShowsTheDatesForPeopleAndTheTextAsWritten()
    {
        var types = Types(SchemaTypes.Date, SchemaTypes.Text);

        Assert.Equal("20 Jul 1987", SchemaValues.ForPeople("1987-07-20", types));
        Assert.Equal("soon", SchemaValues.ForPeople("soon", types));
    }

    [Fact]
    public void ExamplesForPeople_AnEventProperty_IsFormattedLikeAnAttribute()
    {
        var property = new EventPropertySummary("revenue", Types(SchemaTypes.Number), 2, ["1498.76", "12.5"]);

        Assert.Equal(["1,498.76", "12.5"], property.ExamplesForPeople);
    }
}
