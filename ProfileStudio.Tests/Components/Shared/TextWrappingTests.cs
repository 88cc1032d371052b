using ProfileStudio.Components.Shared;

namespace ProfileStudio.Tests.Components.Shared;

public sealed class TextWrappingTests
{
    private static string Render(string text) => string.Concat(TextWrapping.Parts(text).Select(p => p.Kind switch
    {
        WrapPartKind.Unbroken => $"[{p.Text}]",
        WrapPartKind.Break => "|",
        _ => p.Text,
    }));

    [Theory]
    [InlineData("system", "system")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("admin@e2e.test signed in", "admin@e2e.test signed in")]
    [InlineData("crm_id:CRM-972237-1841", "[crm_id:CRM-972237-1841]")]
    [InlineData("file #3 crm-customers.csv", "file #3 [crm-customers.csv]")]
    [InlineData("In-Store Purchase", "[In-Store] Purchase")]
    [InlineData("/v1/profiles", "[/v1/profiles]")]
    public void Parts_ShortWords_NeverBreak(string text, string expected)
    {
        Assert.Equal(expected, Render(text));
    }

    [Theory]
    [InlineData("anna.schmidt@example.org", "anna.schmidt|@example.org")]
    [InlineData("maria.longname-example@example-company.test", "[maria.longname-example]|[@example-company.test]")]
    [InlineData("email:destany.keebler44@mail.example,", "email:destany.keebler44|@mail.example,")]
    [InlineData("anonymous_id:6f7bf6d7-baa1-f5eb-6d85-67a117740d69", "anonymous_|id:|[6f7bf6d7-]|[baa1-]|[f5eb-]|[6d85-]|67a117740d69")]
    [InlineData("https://example.com/v1/profiles?id=42", "https:|[/]|[/]|[example.com/]|[v1/]|[profiles?]|id=|42")]
    [InlineData("0123456789abcdef0123456789abcdef0123", "0123456789abcdef01234567|89abcdef0123")]
    public void Parts_LongWords_BreakBeforeTheirAtSign_ElseAfterSeparators_AndEveryTwentyFourCharacters(string text, string expected)
    {
        Assert.Equal(expected, Render(text));
    }

    [Fact]
    public void Parts_Spaces_StayInThePlainText()
    {
        var parts = TextWrapping.Parts("CRM export: 267 B, waiting for its column mapping");

        Assert.Equal([new WrapPart(WrapPartKind.Text, "CRM export: 267 B, waiting for its column mapping")], parts);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Parts_Nothing_IsNoParts(string? text)
    {
        Assert.Empty(TextWrapping.Parts(text));
    }
}
