using Microsoft.AspNetCore.Identity;
using ProfileStudio.Accounts;

namespace ProfileStudio.Tests.Accounts;

public sealed class PasswordRulesTests
{
    private static readonly StudioIdentityErrorDescriber Describer = new();

    private static readonly PasswordOptions Studio = new() { RequiredLength = 10 };

    [Fact]
    public void Refusal_EveryRuleBroken_OneSentenceInTheOrderAndWordsThePageStatesThem()
    {
        // In the order Identity's validator finds them.
        IdentityError[] errors = [Describer.PasswordTooShort(10), Describer.PasswordRequiresNonAlphanumeric(), Describer.PasswordRequiresDigit(), Describer.PasswordRequiresLower(), Describer.PasswordRequiresUpper()];

        var refusal = PasswordRules.Refusal(errors, Studio);

        Assert.Equal("This password needs at least 10 characters, an upper-case letter, a lower-case letter, a digit and a symbol (not a letter or digit).", refusal);
        Assert.Equal("Your new password needs at least 10 characters, with upper- and lower-case letters, a digit and a symbol (not a letter or digit).", PasswordRules.Describe(Studio));
    }

    [Fact]
    public void Refusal_OneRule_AndAWrongCurrentPassword_SaysBoth()
    {
        var refusal = PasswordRules.Refusal([Describer.PasswordMismatch(), Describer.PasswordRequiresDigit()], Studio);

        Assert.Equal("This password needs a digit. The current password is not correct.", refusal);
    }

    [Fact]
    public void Describer_PasswordRules_KeepIdentitysCodesAndUseThePagesWords()
    {
        var identity = new IdentityErrorDescriber();
        (IdentityError Studio, IdentityError Identity)[] pairs =
        [
            (Describer.PasswordTooShort(10), identity.PasswordTooShort(10)),
            (Describer.PasswordRequiresUpper(), identity.PasswordRequiresUpper()),
            (Describer.PasswordRequiresLower(), identity.PasswordRequiresLower()),
            (Describer.PasswordRequiresDigit(), identity.PasswordRequiresDigit()),
            (Describer.PasswordRequiresNonAlphanumeric(), identity.PasswordRequiresNonAlphanumeric()),
            (Describer.PasswordRequiresUniqueChars(4), identity.PasswordRequiresUniqueChars(4)),
        ];

        Assert.All(pairs, p => Assert.Equal(p.Identity.Code, p.Studio.Code));
        Assert.Equal(
            ["The password needs at least 10 characters.", "The password needs an upper-case letter.", "The password needs a lower-case letter.",
             "The password needs a digit.", "The password needs a symbol (not a letter or digit).", "The password needs 4 different characters."],
            pairs.Select(p => p.Studio.Description));
    }

    [Fact]
    public void Describer_ATakenAddress_IsOneSentenceWhetherAsUserNameOrEmail() =>
        Assert.Equal(Describer.DuplicateEmail("ada@example.com").Description, Describer.DuplicateUserName("ada@example.com").Description);
}
