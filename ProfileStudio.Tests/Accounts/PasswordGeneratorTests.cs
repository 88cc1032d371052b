using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Accounts;

public sealed class PasswordGeneratorTests
{
    [Fact]
    public void Generate_Default_HasEveryCharacterClass()
    {
        var password = PasswordGenerator.Generate();

        Assert.Equal(20, password.Length);
        Assert.Contains(password, char.IsUpper);
        Assert.Contains(password, char.IsLower);
        Assert.Contains(password, char.IsDigit);
        Assert.Contains(password, c => !char.IsLetterOrDigit(c));
    }
}
