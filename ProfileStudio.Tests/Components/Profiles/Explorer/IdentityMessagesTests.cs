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

    /// <summary>A bot's user id: the count stopped past 10,000 instead of reading every message, and the pages go on.</summary>
    [Fact]
    public async Task MoreMessagesThanTheCountsCap_SaysMoreThanIt_AndOlderOnesStillShow()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var userId = await IdentityReaderTests.SeedManyAsync(_studio, IdentityReader.DefaultCountCap + 50);
        SignIn("support@example.com", Roles.Support);

        var messages = Render<IdentityMessages>(p => p.Add(c => c.Identity, userId).Add(c => c.SourceNames, new Dictionary<int, string> { [userId.SourceId] = "Website" }));

        messages.WaitForAssertion(() => Assert.Equal("Showing 20 of more than 10,000 messages, newest first", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim()));
        messages.Find("button[data-testid=identity-messages-more]").Click();
        messages.WaitForAssertion(() => Assert.Equal(40, messages.FindAll("[data-testid=identity-message]").Count));
        Assert.Equal("Showing 40 of more than 10,000 messages, newest first", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim());
        Assert.Single(messages.FindAll("button[data-testid=identity-messages-more]"));
    }

    /// <summary>A long range the count read the newest part of: at least what it found, until the pages reach the first message.</summary>
    [Fact]
    public async Task RangeLongerThanTheCountReads_SaysAtLeast_UntilTheLastPageShowsHowManyInAll()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var (userId, _, _) = await IdentityReaderTests.SeedAsync(_studio, 45);
        _studio.Services.GetRequiredService<IdentityReader>().CountSpan = 60; // Ada's newest 30 messages, among Adam's
        SignIn("support@example.com", Roles.Support);

        var messages = Render<IdentityMessages>(p => p.Add(c => c.Identity, userId).Add(c => c.SourceNames, new Dictionary<int, string> { [userId.SourceId] = "Website" }));

        messages.WaitForAssertion(() => Assert.Equal("Showing 20 of at least 30 messages, newest first (counting stopped before its oldest ones)", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim()));
        messages.Find("button[data-testid=identity-messages-more]").Click();
        messages.WaitForAssertion(() => Assert.Equal(40, messages.FindAll("[data-testid=identity-message]").Count));
        Assert.Equal("Showing 40 messages so far, newest first (counting stopped before its oldest ones)", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim());
        messages.Find("button[data-testid=identity-messages-more]").Click();
        messages.WaitForAssertion(() => Assert.Equal(45, messages.FindAll("[data-testid=identity-message]").Count));
        Assert.Equal("Showing 45 of 45 messages, newest first", messages.Find("[data-testid=identity-messages-count]").TextContent.Trim());
        Assert.Empty(messages.FindAll("[data-testid=identity-messages-more]"));
    }
}
