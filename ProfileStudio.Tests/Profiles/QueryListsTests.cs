using ProfileStudio.Profiles;

namespace ProfileStudio.Tests.Profiles;

public sealed class QueryListsTests
{
    [Theory]
    [InlineData(null, new string[0])]
    [InlineData("", new string[0])]
    [InlineData("a,b", new[] { "a", "b" })]
    [InlineData(" a , ,b ", new[] { "a", "b" })]
    [InlineData("\"Foo, Bar\",Baz", new[] { "Foo, Bar", "Baz" })]
    [InlineData("Baz, \"Foo, Bar\"", new[] { "Baz", "Foo, Bar" })]
    [InlineData("\"say \"\"hi\"\"\"", new[] { "say \"hi\"" })]
    [InlineData("\" padded \"", new[] { " padded " })]
    [InlineData("\"open, to the end", new[] { "open, to the end" })]
    [InlineData("Order Completed,Order Completed", new[] { "Order Completed" })]
    public void Names_SplitsOnCommas_ExceptInsideDoubleQuotes(string? list, string[] expected) =>
        Assert.Equal(expected.ToHashSet(), QueryLists.Names(list));

    [Theory]
    [InlineData(null)]
    [InlineData("a,b")]
    [InlineData("\"Foo, Bar\",Baz")]
    [InlineData("\"say \"\"hi\"\"\"")]
    [InlineData("it\"s,fine")] // a quote inside a name that does not start with one is part of the name
    public void Problem_IsNull_ForListsThatRead(string? list) => Assert.Null(QueryLists.Problem(list, "include"));

    [Theory]
    [InlineData("\"open, to the end")]
    [InlineData("a, \"b")]
    [InlineData("\"say \"\"hi\"\"")]
    public void Problem_NamesTheQuoteLeftOpen(string list) =>
        Assert.StartsWith("include has a double quote that is not closed", QueryLists.Problem(list, "include"));
}
