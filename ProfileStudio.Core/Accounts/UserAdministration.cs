using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Accounts;

public sealed record UserSummary(
    string Id,
    string Email,
    string DisplayName,
    IReadOnlyList<string> Roles,
    bool IsLockedOut,
    int FailedSignIns,
    bool MustChangePassword,
    DateTime CreatedAt,
    DateTime? LastSignInAt);

/// <summary>The outcome of an administrative change; <see cref="Password"/> is set once when one was generated.</summary>
public sealed record AdminResult(bool Succeeded, string? Error = null, string? Password = null)
{
    public static AdminResult Ok(string? password = null) => new(true, null, password);
    public static AdminResult Fail(string error) => new(false, error);
}

/// <summary>
/// What the Users page does: list, create, change roles, lock, unlock, reset passwords. Every change
/// is audited. A new scope per operation keeps Identity's DbContext short-lived inside a circuit.
/// </summary>
public sealed class UserAdministration(IServiceScopeFactory scopes, IDbContextFactory<ProfileStudioDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    /// <summary>
    /// One change at a time in this process, each made only by someone who is an administrator now: the last-administrator checks
    /// are check-then-act, and two administrators locking (or demoting) each other at the same moment both passed them, leaving
    /// nobody who could sign in and administer. And a page opened before its user was locked or demoted kept acting for them until
    /// the session's next revalidation (a minute): a demoted administrator created a new Admin three seconds later.
    /// </summary>
    private static readonly SemaphoreSlim Changes = new(1, 1);

    public Task<AdminResult> CreateAsync(AuditActor actor, string email, string displayName, IReadOnlyCollection<string> roles, string? password, CancellationToken ct = default) =>
        AsAdminAsync(actor, () => CreateCoreAsync(actor, email, displayName, roles, password, ct), ct);

    public Task<AdminResult> SetRolesAsync(AuditActor actor, string userId, IReadOnlyCollection<string> roles, CancellationToken ct = default) =>
        AsAdminAsync(actor, () => SetRolesCoreAsync(actor, userId, roles, ct), ct);

    public Task<AdminResult> LockAsync(AuditActor actor, string userId, CancellationToken ct = default) =>
        AsAdminAsync(actor, () => LockCoreAsync(actor, userId, ct), ct);

    public Task<AdminResult> UnlockAsync(AuditActor actor, string userId, CancellationToken ct = default) =>
        AsAdminAsync(actor, () => UnlockCoreAsync(actor, userId, ct), ct);

    public Task<AdminResult> ResetPasswordAsync(AuditActor actor, string userId, CancellationToken ct = default) =>
        AsAdminAsync(actor, () => ResetPasswordCoreAsync(actor, userId, ct), ct);

    private async Task<AdminResult> AsAdminAsync(AuditActor actor, Func<Task<AdminResult>> change, CancellationToken ct)
    {
        await Changes.WaitAsync(ct);
        try
        {
            return await NotAnAdministratorNowAsync(actor) is { } problem ? AdminResult.Fail(problem) : await change();
        }
        finally
        {
            Changes.Release();
        }
    }

    /// <summary>Why <paramref name="actor"/> may not administer users now (gone, locked, no longer an Admin), or null; the system may.</summary>
    private async Task<string?> NotAnAdministratorNowAsync(AuditActor actor)
    {
        if (actor.UserId is not { } id)
        {
            return null; // start-up and configuration, not a person
        }
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(id) is not { } user)
        {
            return "Your account no longer exists; nothing was changed.";
        }
        if (user.LockoutEnd is { } end && end > time.GetUtcNow())
        {
            return "Your account has been locked; nothing was changed.";
        }
        return await users.IsInRoleAsync(user, Roles.Admin)
            ? null
            : "Your account is no longer an administrator's; nothing was changed. Reload the page to see what you may do now.";
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await (from ur in db.UserRoles
                           join r in db.Roles on ur.RoleId equals r.Id
                           select new { ur.UserId, r.Name }).ToListAsync(ct);
        var rolesByUser = roles.ToLookup(x => x.UserId, x => x.Name!);
        var now = time.GetUtcNow();
        return users.Select(u => new UserSummary(
            u.Id,
            u.Email ?? u.UserName ?? "",
            u.DisplayName,
            rolesByUser[u.Id].OrderBy(r => r).ToList(),
            u.LockoutEnd is { } end && end > now,
            u.AccessFailedCount,
            u.MustChangePassword,
            u.CreatedAt,
            u.LastSignInAt)).ToList();
    }

    private async Task<AdminResult> CreateCoreAsync(AuditActor actor, string email, string displayName, IReadOnlyCollection<string> roles, string? password, CancellationToken ct)
    {
        email = email.Trim();
        // Checked here rather than by Identity, whose user-name characters refused o'brien@… and jürgen@… and let a@b through.
        if (AccountEmail.Problem(email) is { } problem)
        {
            return AdminResult.Fail(problem);
        }
        if (roles.Count == 0)
        {
            return AdminResult.Fail("Choose at least one role.");
        }
        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            return AdminResult.Fail($"Unknown role '{unknown}'.");
        }
        var generated = string.IsNullOrEmpty(password);
        password = generated ? PasswordGenerator.Generate() : password;

        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? email : displayName.Trim(),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            MustChangePassword = generated,
        };
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded)
        {
            return AdminResult.Fail(Describe(created));
        }
        var added = await users.AddToRolesAsync(user, roles);
        if (!added.Succeeded)
        {
            return AdminResult.Fail(Describe(added));
        }
        await audit.RecordAsync(actor, AuditActions.UserCreated, email, $"roles: {string.Join(", ", roles.Order())}", ct);
        return AdminResult.Ok(generated ? password : null);
    }

    private async Task<AdminResult> SetRolesCoreAsync(AuditActor actor, string userId, IReadOnlyCollection<string> roles, CancellationToken ct)
    {
        if (roles.Count == 0)
        {
            // A signed-in account with no role would still be an account: to stop someone signing in, lock the account.
            return AdminResult.Fail("Choose at least one role. To stop this person signing in, lock the account instead.");
        }
        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            return AdminResult.Fail($"Unknown role '{unknown}'.");
        }
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return AdminResult.Fail("The user no longer exists.");
        }
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && !roles.Contains(Roles.Admin) && await IsLastActiveAdminAsync(users, user))
        {
            return AdminResult.Fail("This is the only administrator who can sign in; make someone else an administrator first.");
        }
        var removed = await users.RemoveFromRolesAsync(user, current.Except(roles));
        var added = removed.Succeeded ? await users.AddToRolesAsync(user, roles.Except(current)) : removed;
        if (!added.Succeeded)
        {
            return AdminResult.Fail(Describe(added));
        }
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, AuditActions.UserRolesChanged, user.Email!,
            $"from [{string.Join(", ", current.Order())}] to [{string.Join(", ", roles.Order())}]", ct);
        return AdminResult.Ok();
    }

    private async Task<AdminResult> LockCoreAsync(AuditActor actor, string userId, CancellationToken ct)
    {
        if (userId == actor.UserId)
        {
            return AdminResult.Fail("You cannot lock your own account.");
        }
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return AdminResult.Fail("The user no longer exists.");
        }
        if (await users.IsInRoleAsync(user, Roles.Admin) && await IsLastActiveAdminAsync(users, user))
        {
            return AdminResult.Fail("This is the only administrator who can sign in; it cannot be locked.");
        }
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
        // A new security stamp ends the user's open sessions at the next validation.
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, AuditActions.UserLocked, user.Email!, "locked by an administrator", ct);
        return AdminResult.Ok();
    }

    private async Task<AdminResult> UnlockCoreAsync(AuditActor actor, string userId, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return AdminResult.Fail("The user no longer exists.");
        }
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await audit.RecordAsync(actor, AuditActions.UserUnlocked, user.Email!, "", ct);
        return AdminResult.Ok();
    }

    private async Task<AdminResult> ResetPasswordCoreAsync(AuditActor actor, string userId, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        if (await users.FindByIdAsync(userId) is not { } user)
        {
            return AdminResult.Fail("The user no longer exists.");
        }
        var password = PasswordGenerator.Generate();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var reset = await users.ResetPasswordAsync(user, token, password);
        if (!reset.Succeeded)
        {
            return AdminResult.Fail(Describe(reset));
        }
        user.MustChangePassword = true;
        await users.UpdateAsync(user);
        await audit.RecordAsync(actor, AuditActions.UserPasswordReset, user.Email!, "temporary password issued", ct);
        return AdminResult.Ok(password);
    }

    private async Task<bool> IsLastActiveAdminAsync(UserManager<ApplicationUser> users, ApplicationUser user)
    {
        var now = time.GetUtcNow();
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        return admins.Where(a => a.LockoutEnd is null || a.LockoutEnd <= now).All(a => a.Id == user.Id);
    }

    // Distinct: one taken address is refused as a user name and as an e-mail, in the same words (StudioIdentityErrorDescriber).
    internal static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description).Distinct());
}
