using Microsoft.AspNetCore.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Accounts;

public sealed class UserAdministrationTests : IAsyncLifetime
{
    private const string AdminEmail = "admin@example.com";
    private const string AdminPassword = "Bootstrap-Pass-1";

    private StudioServices _studio = default!;
    private UserSummary _admin = default!;

    private UserAdministration Users => _studio.Users;

    private AuditActor AdminActor => new(_admin.Id, _admin.Email);

    public async Task InitializeAsync()
    {
        _studio = await StudioServices.StartAsync(withAccounts: true, new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = AdminEmail,
            ["Bootstrap:AdminPassword"] = AdminPassword,
        });
        _admin = (await Users.ListAsync()).Single(u => u.Email == AdminEmail);
    }

    public async Task DisposeAsync() => await _studio.DisposeAsync();

    private async Task<UserSummary> CreateUserAsync(string email, params string[] roles)
    {
        var result = await Users.CreateAsync(AdminActor, email, "", roles, "Given-Pass-42");
        Assert.True(result.Succeeded, result.Error);
        return await FindAsync(email);
    }

    private async Task<UserSummary> FindAsync(string email) => (await Users.ListAsync()).Single(u => u.Email == email);

    private Task<bool> PasswordWorksAsync(string email, string password) =>
        _studio.WithUserManagerAsync(async users => await users.CheckPasswordAsync((await users.FindByEmailAsync(email))!, password));

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string action) =>
        (await _studio.Audit.QueryAsync(new AuditFilter(Action: action), 0, 100)).Entries;

    [Fact]
    public async Task CreateAsync_NoPassword_ReturnsAGeneratedPasswordThatMustBeChanged()
    {
        var result = await Users.CreateAsync(AdminActor, "  carol@example.com ", "Carol", [Roles.Support], password: null);

        Assert.True(result.Succeeded, result.Error);
        Assert.False(string.IsNullOrEmpty(result.Password));
        Assert.True(await PasswordWorksAsync("carol@example.com", result.Password!));
        var carol = await FindAsync("carol@example.com");
        Assert.Equal("Carol", carol.DisplayName);
        Assert.Equal([Roles.Support], carol.Roles);
        Assert.True(carol.MustChangePassword);
        Assert.False(carol.IsLockedOut);
    }

    [Fact]
    public async Task CreateAsync_GivenPassword_ReturnsNoPasswordAndNeedsNoChange()
    {
        var result = await Users.CreateAsync(AdminActor, "dave@example.com", "", [Roles.Marketer, Roles.DataEngineer], "Chosen-Pass-77");

        Assert.True(result.Succeeded, result.Error);
        Assert.Null(result.Password);
        Assert.True(await PasswordWorksAsync("dave@example.com", "Chosen-Pass-77"));
        var dave = await FindAsync("dave@example.com");
        Assert.Equal("dave@example.com", dave.DisplayName);
        Assert.Equal([Roles.DataEngineer, Roles.Marketer], dave.Roles);
        Assert.False(dave.MustChangePassword);
    }

    [Fact]
    public async Task CreateAsync_Succeeded_IsAuditedWithTheRoles()
    {
        await Users.CreateAsync(AdminActor, "carol@example.com", "", [Roles.Support, Roles.Marketer], null);

        var entry = Assert.Single(await AuditAsync(AuditActions.UserCreated));

        Assert.Equal(_admin.Id, entry.ActorId);
        Assert.Equal(AdminEmail, entry.ActorName);
        Assert.Equal("carol@example.com", entry.Target);
        Assert.Equal("roles: Marketer, Support", entry.Details);
        Assert.DoesNotContain("Pass", entry.Details);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task CreateAsync_EmptyEmail_IsRefused(string email)
    {
        var result = await Users.CreateAsync(AdminActor, email, "", [Roles.Support], null);

        Assert.False(result.Succeeded);
        Assert.Equal("Enter an email address.", result.Error);
        Assert.Single(await Users.ListAsync());
    }

    [Theory]
    [InlineData("o'brien@example.com")]
    [InlineData("jürgen@exämple.de")]
    [InlineData("ana+crm@example.com")]
    [InlineData("ma.li@sub.example.co.uk")]
    [InlineData("用户@例子.广告")]
    public async Task CreateAsync_RealAddresses_AreAcceptedAsTypedAndSignIn(string email)
    {
        var result = await Users.CreateAsync(AdminActor, email, "", [Roles.Support], "Given-Pass-42");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(email, (await FindAsync(email)).Email);
        Assert.True(await PasswordWorksAsync(email, "Given-Pass-42"));
    }

    [Theory]
    [InlineData("a@b", "The domain \"b\" has no dot; write the whole domain, e.g. b.com or example.org.")]
    [InlineData("ana.example.com", "\"ana.example.com\" has no @; an e-mail address is a name, an @ and a domain, e.g. ana@example.com.")]
    [InlineData("ana@@example.com", "\"ana@@example.com\" holds more than one @; keep only the one between the name and the domain.")]
    [InlineData("ana maria@example.com", "\"ana maria@example.com\" holds a space; an e-mail address has none. Remove it.")]
    [InlineData("ana,maria@example.com", "The part before the @ holds \",\", which an e-mail address cannot hold there; remove it.")]
    public async Task CreateAsync_NotAnAddress_IsRefusedSayingWhatToFix(string email, string reason)
    {
        var result = await Users.CreateAsync(AdminActor, email, "", [Roles.Support], null);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.Error);
        Assert.Single(await Users.ListAsync());
    }

    [Fact]
    public async Task CreateAsync_ANameOver64OrAnAddressOver254Characters_IsRefusedSayingHowLong()
    {
        var longName = await Users.CreateAsync(AdminActor, new string('a', 300) + "@example.com", "", [Roles.Support], null);
        var longAddress = await Users.CreateAsync(AdminActor, "ana@" + string.Join(".", Enumerable.Repeat(new string('d', 50), 5)) + ".com", "", [Roles.Support], null);

        Assert.Equal("The part before the @ is 300 characters long; it can have at most 64.", longName.Error);
        Assert.Equal("The address is 262 characters long; an e-mail address has at most 254. Check that it was pasted whole and only once.", longAddress.Error);
        Assert.Single(await Users.ListAsync());
    }

    [Fact]
    public async Task CreateAsync_NoRoles_IsRefused()
    {
        var result = await Users.CreateAsync(AdminActor, "carol@example.com", "", [], null);

        Assert.False(result.Succeeded);
        Assert.Equal("Choose at least one role.", result.Error);
        Assert.Single(await Users.ListAsync());
    }

    [Fact]
    public async Task CreateAsync_UnknownRole_IsRefused()
    {
        var result = await Users.CreateAsync(AdminActor, "carol@example.com", "", [Roles.Support, "Owner"], null);

        Assert.False(result.Succeeded);
        Assert.Equal("Unknown role 'Owner'.", result.Error);
        Assert.Single(await Users.ListAsync());
    }

    [Theory]
    [InlineData("carol@example.com")]
    [InlineData("Carol@Example.COM")]
    public async Task CreateAsync_DuplicateEmail_IsRefusedAndNotAudited(string duplicate)
    {
        await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.CreateAsync(AdminActor, duplicate, "", [Roles.Marketer], null);

        Assert.False(result.Succeeded);
        Assert.Contains("already taken", result.Error);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.Error!, "already taken")); // as a user name and as an e-mail: said once
        Assert.Equal(2, (await Users.ListAsync()).Count);
        Assert.Equal([Roles.Support], (await FindAsync("carol@example.com")).Roles);
        Assert.Single(await AuditAsync(AuditActions.UserCreated));
    }

    [Fact]
    public async Task CreateAsync_WeakPassword_IsRefusedWithIdentitysReason()
    {
        var result = await Users.CreateAsync(AdminActor, "carol@example.com", "", [Roles.Support], "short");

        Assert.False(result.Succeeded);
        Assert.Contains("at least 10 characters", result.Error);
        Assert.DoesNotContain(await Users.ListAsync(), u => u.Email == "carol@example.com");
    }

    [Fact]
    public async Task SetRolesAsync_NewRoles_ReplacesTheRolesAndAuditsOldAndNew()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.SetRolesAsync(AdminActor, carol.Id, [Roles.Marketer, Roles.DataEngineer]);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal([Roles.DataEngineer, Roles.Marketer], (await FindAsync("carol@example.com")).Roles);
        var entry = Assert.Single(await AuditAsync(AuditActions.UserRolesChanged));
        Assert.Equal("carol@example.com", entry.Target);
        Assert.Equal("from [Support] to [DataEngineer, Marketer]", entry.Details);
    }

    [Fact]
    public async Task SetRolesAsync_NoRoleLeft_IsRefusedAndChangesNothing()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.SetRolesAsync(AdminActor, carol.Id, []);

        Assert.False(result.Succeeded);
        Assert.Contains("at least one role", result.Error);
        Assert.Equal([Roles.Support], (await FindAsync("carol@example.com")).Roles);
        Assert.Empty(await AuditAsync(AuditActions.UserRolesChanged));
    }

    [Fact]
    public async Task SetRolesAsync_UnknownRole_IsRefusedAndChangesNothing()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.SetRolesAsync(AdminActor, carol.Id, [Roles.Marketer, "Owner"]);

        Assert.False(result.Succeeded);
        Assert.Equal([Roles.Support], (await FindAsync("carol@example.com")).Roles);
        Assert.Empty(await AuditAsync(AuditActions.UserRolesChanged));
    }

    [Fact]
    public async Task SetRolesAsync_RemoveAdminFromTheLastActiveAdmin_IsRefused()
    {
        var result = await Users.SetRolesAsync(AdminActor, _admin.Id, [Roles.Support]);

        Assert.False(result.Succeeded);
        Assert.Contains("only administrator", result.Error);
        Assert.Equal([Roles.Admin], (await FindAsync(AdminEmail)).Roles);
        Assert.Empty(await AuditAsync(AuditActions.UserRolesChanged));
    }

    [Fact]
    public async Task SetRolesAsync_RemoveAdminWhenTheOtherAdminIsLocked_IsRefused()
    {
        var other = await CreateUserAsync("other-admin@example.com", Roles.Admin);
        Assert.True((await Users.LockAsync(AdminActor, other.Id)).Succeeded);

        var result = await Users.SetRolesAsync(AdminActor, _admin.Id, [Roles.Support]);

        Assert.False(result.Succeeded);
        Assert.Equal([Roles.Admin], (await FindAsync(AdminEmail)).Roles);
    }

    [Fact]
    public async Task SetRolesAsync_RemoveAdminWhenAnotherAdminCanSignIn_Succeeds()
    {
        await CreateUserAsync("other-admin@example.com", Roles.Admin);

        var result = await Users.SetRolesAsync(AdminActor, _admin.Id, [Roles.Support]);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal([Roles.Support], (await FindAsync(AdminEmail)).Roles);
    }

    [Fact]
    public async Task SetRolesAsync_MissingUser_IsRefused()
    {
        var result = await Users.SetRolesAsync(AdminActor, "no-such-user", [Roles.Support]);

        Assert.False(result.Succeeded);
        Assert.Equal("The user no longer exists.", result.Error);
    }

    [Fact]
    public async Task LockAsync_AnotherUser_LocksAndAudits()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.LockAsync(AdminActor, carol.Id);

        Assert.True(result.Succeeded, result.Error);
        Assert.True((await FindAsync("carol@example.com")).IsLockedOut);
        Assert.True(await _studio.WithUserManagerAsync(async u => await u.IsLockedOutAsync((await u.FindByIdAsync(carol.Id))!)));
        var entry = Assert.Single(await AuditAsync(AuditActions.UserLocked));
        Assert.Equal("carol@example.com", entry.Target);
    }

    [Fact]
    public async Task LockAsync_OwnAccount_IsRefused()
    {
        await CreateUserAsync("other-admin@example.com", Roles.Admin);

        var result = await Users.LockAsync(AdminActor, _admin.Id);

        Assert.False(result.Succeeded);
        Assert.Equal("You cannot lock your own account.", result.Error);
        Assert.False((await FindAsync(AdminEmail)).IsLockedOut);
        Assert.Empty(await AuditAsync(AuditActions.UserLocked));
    }

    [Fact]
    public async Task LockAsync_TheLastActiveAdmin_IsRefused()
    {
        var result = await Users.LockAsync(AuditActor.System, _admin.Id);

        Assert.False(result.Succeeded);
        Assert.False((await FindAsync(AdminEmail)).IsLockedOut);
    }

    [Fact]
    public async Task LockAsync_LockedUser_CannotSignInWithTheRightPassword()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);
        await Users.LockAsync(AdminActor, carol.Id);

        var stillLocked = await _studio.WithUserManagerAsync(async u => await u.IsLockedOutAsync((await u.FindByIdAsync(carol.Id))!));

        Assert.True(stillLocked);
        Assert.True(await PasswordWorksAsync("carol@example.com", "Given-Pass-42"));
    }

    [Fact]
    public async Task UnlockAsync_LockedUser_UnlocksResetsFailuresAndAudits()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);
        await _studio.WithUserManagerAsync(async u => await u.AccessFailedAsync((await u.FindByIdAsync(carol.Id))!));
        await Users.LockAsync(AdminActor, carol.Id);
        Assert.Equal(1, (await FindAsync("carol@example.com")).FailedSignIns);

        var result = await Users.UnlockAsync(AdminActor, carol.Id);

        Assert.True(result.Succeeded, result.Error);
        var after = await FindAsync("carol@example.com");
        Assert.False(after.IsLockedOut);
        Assert.Equal(0, after.FailedSignIns);
        Assert.Equal("carol@example.com", Assert.Single(await AuditAsync(AuditActions.UserUnlocked)).Target);
    }

    [Fact]
    public async Task ResetPasswordAsync_User_ReturnsAWorkingPasswordThatMustBeChanged()
    {
        var carol = await CreateUserAsync("carol@example.com", Roles.Support);

        var result = await Users.ResetPasswordAsync(AdminActor, carol.Id);

        Assert.True(result.Succeeded, result.Error);
        Assert.False(string.IsNullOrEmpty(result.Password));
        Assert.True(await PasswordWorksAsync("carol@example.com", result.Password!));
        Assert.False(await PasswordWorksAsync("carol@example.com", "Given-Pass-42"));
        Assert.True((await FindAsync("carol@example.com")).MustChangePassword);
        var entry = Assert.Single(await AuditAsync(AuditActions.UserPasswordReset));
        Assert.Equal("carol@example.com", entry.Target);
        Assert.DoesNotContain(result.Password!, entry.Details);
    }

    [Fact]
    public async Task ResetPasswordAsync_MissingUser_IsRefused()
    {
        var result = await Users.ResetPasswordAsync(AdminActor, "no-such-user");

        Assert.False(result.Succeeded);
        Assert.Null(result.Password);
    }

    [Fact]
    public async Task ListAsync_Users_AreOrderedByEmailWithTheirRoles()
    {
        await CreateUserAsync("zoe@example.com", Roles.Marketer);
        await CreateUserAsync("bea@example.com", Roles.Support, Roles.DataEngineer);

        var users = await Users.ListAsync();

        Assert.Equal(["admin@example.com", "bea@example.com", "zoe@example.com"], users.Select(u => u.Email));
        Assert.Equal([Roles.DataEngineer, Roles.Support], users[1].Roles);
    }

    [Fact]
    public async Task TwoAdministratorsLockingEachOtherAtOnce_LeaveOneWhoCanSignIn()
    {
        var other = await CreateUserAsync("other-admin@example.com", Roles.Admin);
        var otherActor = new AuditActor(other.Id, other.Email);

        // Both check "not the last administrator" before either locks: without one change at a time both passed.
        var results = await Task.WhenAll(
            Task.Run(() => Users.LockAsync(AdminActor, other.Id)),
            Task.Run(() => Users.LockAsync(otherActor, _admin.Id)));

        Assert.Single(results, r => r.Succeeded);
        var users = await Users.ListAsync();
        Assert.Single(users, u => u.Roles.Contains(Roles.Admin) && !u.IsLockedOut);
    }

    [Fact]
    public async Task AnAdministratorDemotedOrLockedSinceThePageOpened_ChangesNothing()
    {
        var demoted = await CreateUserAsync("demoted@example.com", Roles.Admin);
        var locked = await CreateUserAsync("locked@example.com", Roles.Admin);
        Assert.True((await Users.SetRolesAsync(AdminActor, demoted.Id, [Roles.Support])).Succeeded);
        Assert.True((await Users.LockAsync(AdminActor, locked.Id)).Succeeded);

        // Their open pages still act for them until the session is checked again: every change checks who they are now.
        var created = await Users.CreateAsync(new AuditActor(demoted.Id, demoted.Email), "backdoor@example.com", "", [Roles.Admin], "Given-Pass-42");
        var promoted = await Users.SetRolesAsync(new AuditActor(locked.Id, locked.Email), demoted.Id, [Roles.Admin]);

        Assert.False(created.Succeeded);
        Assert.Contains("no longer an administrator's", created.Error);
        Assert.False(promoted.Succeeded);
        Assert.Contains("has been locked", promoted.Error);
        Assert.DoesNotContain(await Users.ListAsync(), u => u.Email == "backdoor@example.com");
        Assert.Equal([Roles.Support], (await FindAsync("demoted@example.com")).Roles);
    }
}
