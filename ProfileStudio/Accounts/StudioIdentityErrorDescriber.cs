using Microsoft.AspNetCore.Identity;

namespace ProfileStudio.Accounts;

/// <summary>
/// ASP.NET Identity's refusals in the studio's words: a password rule as the change-password page states
/// it ("a symbol (not a letter or digit)", not "one non alphanumeric character"), a taken e-mail once even
/// though the user name is the e-mail too. Each description is a sentence of its own, for places that list
/// them (an administrator's reset); the change-password page joins the password rules into one
/// (<see cref="PasswordRules.Refusal"/>). Codes stay Identity's, so code that checks them keeps working.
/// </summary>
public sealed class StudioIdentityErrorDescriber : IdentityErrorDescriber
{
    public override IdentityError PasswordTooShort(int length) => Error(base.PasswordTooShort(length), $"The password needs {PasswordRules.Length(length)}.");

    public override IdentityError PasswordRequiresUpper() => Error(base.PasswordRequiresUpper(), $"The password needs {PasswordRules.Upper}.");

    public override IdentityError PasswordRequiresLower() => Error(base.PasswordRequiresLower(), $"The password needs {PasswordRules.Lower}.");

    public override IdentityError PasswordRequiresDigit() => Error(base.PasswordRequiresDigit(), $"The password needs {PasswordRules.Digit}.");

    public override IdentityError PasswordRequiresNonAlphanumeric() => Error(base.PasswordRequiresNonAlphanumeric(), $"The password needs {PasswordRules.Symbol}.");

    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) =>
        Error(base.PasswordRequiresUniqueChars(uniqueChars), $"The password needs {PasswordRules.Unique(uniqueChars)}.");

    public override IdentityError PasswordMismatch() => Error(base.PasswordMismatch(), "The current password is not correct.");

    // The user name is the e-mail: both are refused for one taken address, in the same words (said once).
    public override IdentityError DuplicateEmail(string email) => Error(base.DuplicateEmail(email), $"The e-mail {email} is already taken by another user.");

    public override IdentityError DuplicateUserName(string userName) => Error(base.DuplicateUserName(userName), $"The e-mail {userName} is already taken by another user.");

    public override IdentityError InvalidEmail(string? email) => Error(base.InvalidEmail(email), $"\"{email}\" is not an e-mail address.");

    public override IdentityError InvalidUserName(string? userName) => Error(base.InvalidUserName(userName), $"\"{userName}\" is not an e-mail address.");

    public override IdentityError ConcurrencyFailure() => Error(base.ConcurrencyFailure(), "Someone changed this user at the same time; nothing was saved. Try again.");

    public override IdentityError DefaultError() => Error(base.DefaultError(), "Something went wrong; nothing was saved. Try again.");

    private static IdentityError Error(IdentityError identity, string description) => new() { Code = identity.Code, Description = description };
}
