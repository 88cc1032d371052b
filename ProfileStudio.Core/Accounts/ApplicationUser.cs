using Microsoft.AspNetCore.Identity;

namespace ProfileStudio.Core.Accounts;

/// <summary>A person who signs in to the studio.</summary>
public sealed class ApplicationUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    /// <summary>Dark theme chosen by the user; remembered across sign-ins and devices.</summary>
    public bool PrefersDarkMode { get; set; }

    /// <summary>Set for generated or reset passwords so the user is asked to choose their own.</summary>
    public bool MustChangePassword { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? LastSignInAt { get; set; }
}
