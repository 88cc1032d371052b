using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Components.Profiles.Explorer;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Identity;
using ProfileStudio.Tests.Identity;
using ProfileStudio.Tests.Profiles;
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

    /// <summary>
    /// A phone number rare in a long range: a page read stops at its bound with what it found, nothing maybe, and says so; older
    /// messages stay one click away (here one candidate a read, Ada's newest messages below two of someone else's).
    /// </summary>
    [Fact]
    public async Task PageReadStoppedAtItsBound_SaysNoneFoundYet_AndShowsOlderOnesOnRequest()
    {
        await _studio.CreateMigrator().StartAsync(CancellationToken.None);
        var (_, _, phone) = await IdentityReaderTests.SeedAsync(_studio, 45);
        var seed = new ProfileStoreSeed(_studio.Services);
        await seed.MessageAsync(phone.SourceId, new { type = "identify", userId = "bob" }, ProfileStoreSeed.T0);
        phone.LastMessageId = await seed.MessageAsync(phone.SourceId, new { type = "identify", userId = "bob" }, ProfileStoreSeed.T0);
        var reader = _studio.Services.GetRequiredService<IdentityReader>();
        (reader.PageParsed, reader.CountParsed) = (1, 1);
        SignIn("support@example.com", Roles.Support);

        var messages = Render<IdentityMessages>(p => p.Add(c => c.Identity, phone).Add(c => c.SourceNames, new Dictionary<int, string> { [phone.SourceId] = "Website" }));
        string Count() => messages.Find("[data-testid=identity-messages-count]").TextContent.Trim();
        void More() => messages.Find("button[data-testid=identity-messages-more]").Click();

        messages.WaitForAssertion(() => Assert.Equal("No message found in the newest 1 of its range yet — Show older messages to keep looking", Count()));
        Assert.Empty(messages.FindAll("[data-testid=identity-message]"));
        More();
        messages.WaitForAssertion(() => Assert.Equal("No message found in the newest 2 of its range yet — Show older messages to keep looking", Count()));
        More(); // Adam's last message
        messages.WaitForAssertion(() => Assert.Equal("No message found in the newest 3 of its range yet — Show older messages to keep looking", Count()));
        More();
        messages.WaitForAssertion(() => Assert.Single(messages.FindAll("[data-testid=identity-message]")));
        messages.WaitForAssertion(() => Assert.Equal("Showing 1 message so far, newest first (counting stopped before its oldest ones)", Count()));
        Assert.Empty(messages.FindAll("[data-testid=identity-messages-stopped]"));
        More(); // Adam's
        messages.WaitForAssertion(() => Assert.Equal("No older message found in the next 1 of its range yet — Show older messages to keep looking", messages.Find("[data-testid=identity-messages-stopped]").TextContent.Trim()));
        Assert.Single(messages.FindAll("[data-testid=identity-message]"));
        More();
        messages.WaitForAssertion(() => Assert.Equal(2, messages.FindAll("[data-testid=identity-message]").Count));
        Assert.Empty(messages.FindAll("[data-testid=identity-messages-stopped]"));
        Assert.Single(messages.FindAll("button[data-testid=identity-messages-more]"));
    }
}
