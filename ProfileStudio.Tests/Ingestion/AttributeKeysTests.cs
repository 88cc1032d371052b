using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;

namespace ProfileStudio.Tests.Ingestion;

/// <summary>One rule for the attribute names people make: a file mapping and a studio edit refuse the same keys.</summary>
public sealed class AttributeKeysTests
{
    [Theory]
    [InlineData("plan")]
    [InlineData("address.city")]
    [InlineData("first_name")]
    [InlineData("post-code")]
    [InlineData("Prénom")]
    public void Problem_KeyWithinTheRule_IsNull(string key) => Assert.Null(AttributeKeys.Problem(key));

    [Theory]
    [InlineData("bad key with spaces!")]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("price$")]
    public void Problem_KeyAgainstTheRule_SaysWhy(string key) => Assert.NotNull(AttributeKeys.Problem(key));

    [Theory]
    [InlineData("ünïcödé_🎉", "\"🎉\"")]
    [InlineData("order total", "a space")]
    [InlineData("$price", "\"$\"")]
    public void Problem_ACharacterAgainstTheRule_IsNamedWhole(string key, string named) =>
        Assert.Contains($"contains {named};", AttributeKeys.Problem(key));

    [Fact]
    public void Problem_TooLong_IsRefused() => Assert.Contains("at most 200", AttributeKeys.Problem(new string('a', 201)));

    [Fact]
    public void FileMapping_AttributeNameAgainstTheRule_IsAProblem()
    {
        var mapping = new FileMapping(FileKind.ProfileRecords,
        [
            new("Email", ColumnTarget.Identity, "email"),
            new("Customer Email", ColumnTarget.Attribute, "customer email"),
            new("City", ColumnTarget.Attribute, "address.city"),
        ]);

        var problem = Assert.Single(mapping.Problems(["Email", "Customer Email", "City"]));
        Assert.Contains("Column \"Customer Email\"", problem);
        Assert.Contains("a space", problem);
    }
}
