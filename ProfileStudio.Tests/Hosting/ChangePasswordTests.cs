using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;

namespace ProfileStudio.Tests.Hosting;

public sealed class ChangePasswordTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    private const string NewPassword = "My-Own-Pass-2026!";

    /// <summary>A user with a generated password, signed in and sent to the change-password page.</summary>
    private async Task<NewUser> SignedInWithGeneratedPasswordAsync()
    {
        var email = $"new-{Guid.NewGuid():N}@studio.test";
        var created = await factory.Users.CreateAsync(AuditActor.System, email, "", [Roles.Support], password: null);
        var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, created.Password!);
        return new NewUser(client, email, created.Password!, client.LocationOf(response));
    }

    private sealed record NewUser(StudioClient Client, string Email, string Password, string ChangeUrl) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private static Dictionary<string, string> Change(string current, string next, string confirm) =>
        new() { ["current"] = current, ["new"] = next, ["confirm"] = confirm };

    [Fact]
    public async Task Get_GeneratedPassword_AsksForANewOne()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var page = await user.Client.GetAsync(user.ChangeUrl);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.NotNull((await StudioClient.ParseAsync(page)).QuerySelector("[data-testid=must-change]"));
    }

    [Fact]
    public async Task Get_GeneratedPassword_StatesTheRulesBeforeTheUserTypes()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var page = await user.Client.GetAsync(user.ChangeUrl);

        var rules = (await StudioClient.ParseAsync(page)).QuerySelector("[data-testid=password-rules]");
        Assert.Equal("Your new password needs at least 10 characters, with upper- and lower-case letters, a digit and a symbol (not a letter or digit).",
            rules?.TextContent.Trim());
    }

    [Fact]
    public async Task Post_ValidNewPassword_ChangesItAndReturns()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var response = await user.Client.SubmitFormAsync(user.ChangeUrl, "change-password", Change(user.Password, NewPassword, NewPassword));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/", user.Client.LocationOf(response));
        Assert.False((await factory.Users.ListAsync()).Single(u => u.Email == user.Email).MustChangePassword);
        Assert.Single((await factory.Audit.QueryAsync(new AuditFilter(user.Email, AuditActions.PasswordChanged), 0, 10)).Entries);
        using var again = factory.CreateStudioClient();
        using var signIn = await again.SignInAsync(user.Email, NewPassword);
        Assert.Equal("/", again.LocationOf(signIn));
    }

    [Fact]
    public async Task Post_ConfirmationDiffers_KeepsTheOldPassword()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var response = await user.Client.SubmitFormAsync(user.ChangeUrl, "change-password", Change(user.Password, NewPassword, "Something-Else-1!"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The two new passwords differ.", await response.Content.ReadAsStringAsync());
        Assert.True((await factory.Users.ListAsync()).Single(u => u.Email == user.Email).MustChangePassword);
    }

    [Fact]
    public async Task Post_WrongCurrentPassword_ShowsTheError()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var response = await user.Client.SubmitFormAsync(user.ChangeUrl, "change-password", Change("Not-It-2026!", NewPassword, NewPassword));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = (await StudioClient.ParseAsync(response)).QuerySelector("[data-testid=change-password-error]");
        Assert.Equal("The current password is not correct.", error?.TextContent.Trim());
        Assert.True((await factory.Users.ListAsync()).Single(u => u.Email == user.Email).MustChangePassword);
    }

    [Fact]
    public async Task Post_NewPasswordAgainstTheRules_SaysWhatItNeedsInTheWordsThePageStatesTheRulesIn()
    {
        using var user = await SignedInWithGeneratedPasswordAsync();

        using var response = await user.Client.SubmitFormAsync(user.ChangeUrl, "change-password", Change(user.Password, "weakpassword", "weakpassword"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await StudioClient.ParseAsync(response);
        var error = page.QuerySelector("[data-testid=change-password-error]")?.TextContent.Trim();
        Assert.Equal("This password needs an upper-case letter, a digit and a symbol (not a letter or digit).", error);
        // Each part is a phrase of the rules stated above the form.
        var rules = page.QuerySelector("[data-testid=password-rules]")!.TextContent;
        Assert.All(["a digit", "a symbol (not a letter or digit)"], phrase => Assert.Contains(phrase, rules));
        Assert.DoesNotContain("alphanumeric", error);
        Assert.True((await factory.Users.ListAsync()).Single(u => u.Email == user.Email).MustChangePassword);
    }
}

/// <summary>The rules shown are the configured ones, not a copy: an installation with other options shows those.</summary>
public sealed class ChangePasswordConfiguredRulesTests(ChangePasswordConfiguredRulesTests.LongPasswordsAppFactory factory)
    : IClassFixture<ChangePasswordConfiguredRulesTests.LongPasswordsAppFactory>
{
    public sealed class LongPasswordsAppFactory : StudioAppFactory
    {
        protected override void ConfigureTestServices(IServiceCollection services) =>
            services.Configure<IdentityOptions>(o =>
            {
                o.Password.RequiredLength = 16;
                o.Password.RequireNonAlphanumeric = false;
            });
    }

    [Fact]
    public async Task Get_OtherPasswordOptions_StatesThoseRules()
    {
        var email = $"new-{Guid.NewGuid():N}@studio.test";
        var created = await factory.Users.CreateAsync(AuditActor.System, email, "", [Roles.Support], password: null);
        using var client = factory.CreateStudioClient();
        using var response = await client.SignInAsync(email, created.Password!);

        using var page = await client.GetAsync(client.LocationOf(response));

        var rules = (await StudioClient.ParseAsync(page)).QuerySelector("[data-testid=password-rules]")?.TextContent.Trim();
        Assert.Equal("Your new password needs at least 16 characters, with upper- and lower-case letters and a digit.", rules);
    }
}
