using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Accounts;

public sealed class AccountEmailTests
{
    [Theory]
    [InlineData("ana@example.com")]
    [InlineData("o'brien@example.com")]
    [InlineData("ana+crm@example.com")]
    [InlineData("jürgen@exämple.de")]
    [InlineData("用户@例子.广告")]
    [InlineData("δοκιμή@παράδειγμα.ελ")]
    [InlineData("first.last@sub.example.co.uk")]
    [InlineData("x_y-z#1!{}@example-shop.com")]
    [InlineData("ana@xn--exmple-cua.de")]
    [InlineData("  ana@example.com  ")]
    public void Problem_ARealAddress_IsNone(string email) => Assert.Null(AccountEmail.Problem(email));

    [Fact]
    public void Problem_ANameOf64AndAnAddressOf254Characters_IsNone()
    {
        var local = new string('a', AccountEmail.MaxLocalPartLength);
        var domain = string.Join(".", Enumerable.Repeat(new string('d', 61), 3)) + ".com";

        Assert.Equal(254, $"{local}@{domain}".Length);
        Assert.Null(AccountEmail.Problem($"{local}@{domain}"));
    }

    [Theory]
    [InlineData("", "Enter an email address.")]
    [InlineData("a@b", "The domain \"b\" has no dot; write the whole domain, e.g. b.com or example.org.")]
    [InlineData("@example.com", "\"@example.com\" has nothing before the @; put the name there, e.g. ana@example.com.")]
    [InlineData("ana@", "\"ana@\" has nothing after the @; put the domain there, e.g. ana@example.com.")]
    [InlineData(".ana@example.com", "The part before the @ cannot start or end with a dot, nor have two dots in a row.")]
    [InlineData("ana..maria@example.com", "The part before the @ cannot start or end with a dot, nor have two dots in a row.")]
    [InlineData("ana@example..com", "The domain \"example..com\" starts or ends with a dot, or has two in a row; remove the extra dot.")]
    [InlineData("ana@-example.com", "The domain \"-example.com\" is not a domain name: between its dots it may hold letters, digits and hyphens (not at either end of a part).")]
    [InlineData("ana@exa_mple.com", "The domain \"exa_mple.com\" is not a domain name: between its dots it may hold letters, digits and hyphens (not at either end of a part).")]
    [InlineData("ana@10.0.0.1", "The domain \"10.0.0.1\" ends in a number, not a top-level domain such as .com or .de; write the domain's name.")]
    [InlineData("<ana@example.com>", "The part before the @ holds \"<\", which an e-mail address cannot hold there; remove it.")]
    [InlineData("\"ana maria\"@example.com", "\"\"ana maria\"@example.com\" holds a space; an e-mail address has none. Remove it.")]
    public void Problem_NotAnAddress_SaysWhatToFix(string email, string problem) => Assert.Equal(problem, AccountEmail.Problem(email));

    [Fact]
    public void Problem_ANameOf65Characters_SaysItsLength()
    {
        Assert.Equal("The part before the @ is 65 characters long; it can have at most 64.", AccountEmail.Problem(new string('a', 65) + "@example.com"));
    }

    [Fact]
    public void Problem_AnAddressOf255Characters_SaysItsLength()
    {
        var email = "ana@" + string.Join(".", Enumerable.Repeat(new string('d', 61), 4)) + ".com";

        Assert.Equal(255, email.Length);
        Assert.Equal("The address is 255 characters long; an e-mail address has at most 254. Check that it was pasted whole and only once.", AccountEmail.Problem(email));
    }
}
