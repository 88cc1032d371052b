using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Identity;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Profiles.Explorer;

/// <summary>The identity panel's "Messages that carried …", on a real store.</summary>
public sealed class IdentityMessagesTests : StudioBunitContext
{
    private readonly StudioServices _studio = StudioServices.Create(withAccounts: false);

    public IdentityMessagesTests()
    {
        Services.AddSingleton(_studio.Services.GetRequiredService<IdentityReader>());
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _studio.DisposeAsync();
    }

    [Fact]
    public async Task ManyMessages_SaysHowManyInAll_AndShowsOlderOnesOnRequest_UntilAllAreShown()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var (_, email, _) = await IdentityReaderTests.SeedAsync(_studio, 45);
        SignIn("support@example.com", Roles.Support);

        var messages = Render<IdentityMessages>(p => p.Add(c => c.Identity, email).Add(c => c.SourceNames, new Dictionary<int, string> { [email.SourceId] = "Website" }));

        messages.WaitForAssertion(() => Assert.Equal("Showing 20 of 45 messages, newest first", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim()));
        Assert.Equal(IdentityMessages.PageSize, messages.FindAll("[data-testid=identity-message]").Count);
        messages.Find("button[data-testid=identity-messages-more]").Click();
        messages.WaitForAssertion(() => Assert.Equal(40, messages.FindAll("[data-testid=identity-message]").Count));
        messages.Find("button[data-testid=identity-messages-more]").Click();
        messages.WaitForAssertion(() => Assert.Equal(45, messages.FindAll("[data-testid=identity-message]").Count));
        Assert.Equal("Showing 45 of 45 messages, newest first", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim());
        Assert.Empty(messages.FindAll("[data-testid=identity-messages-more]"));
    }
}
