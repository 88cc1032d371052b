using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ProfileStudio.Components.Identity;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.ChangeFeed;
using ProfileStudio.Core.Unification;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Components.Identity;

/// <summary>Identity › Unification's change-feed table on a real database: which consumers take their rows periodically.</summary>
public sealed class ChangeFeedConsumersTableTests : StudioBunitContext
{
    private StudioServices? _studio;

    private sealed class Consumer(string name, ChangeFeedUrgency urgency) : IChangeFeedConsumer
    {
        public string Name => name;
        public string Description => $"{name} does its work";
        public bool StartsAtEnd => false;
        public ChangeFeedUrgency Urgency => urgency;
        public Task HandleAsync(IReadOnlyList<ProfileChange> changes, CancellationToken ct) => Task.CompletedTask;
    }

    private async Task<IRenderedComponent<ChangeFeedConsumersTable>> RenderWithAsync(double periodicSeconds)
    {
        _studio = await StudioServices.StartAsync(withAccounts: false);
        Services.AddSingleton(_studio.Services.GetRequiredService<ChangeFeedStore>());
        Services.AddSingleton(_studio.Services.GetRequiredService<PoisonMessages>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(Options.Create(new ChangeFeedOptions { PeriodicConsumerSeconds = periodicSeconds }));
        Services.AddSingleton<IChangeFeedConsumer>(new Consumer("pages", ChangeFeedUrgency.Immediate));
        Services.AddSingleton<IChangeFeedConsumer>(new Consumer("figures", ChangeFeedUrgency.Periodic));
        SignIn("engineer@example.com", Roles.DataEngineer);
        return Render<ChangeFeedConsumersTable>();
    }

    [Fact]
    public async Task APeriodicConsumer_SaysHowOftenItTakesItsRows_AndAnImmediateOneSaysNothingOfIt()
    {
        var cut = await RenderWithAsync(periodicSeconds: 3);

        var rows = cut.WaitForElements("[data-testid=feed-consumers] tbody tr", 2);
        Assert.DoesNotContain("every", rows.Single(r => r.TextContent.Contains("pages does its work")).TextContent);
        Assert.Contains("Takes the rows that came every 3 s", rows.Single(r => r.TextContent.Contains("figures does its work")).TextContent);
    }

    [Fact]
    public async Task WithThePeriodSetToZero_NoConsumerClaimsAPeriod()
    {
        var cut = await RenderWithAsync(periodicSeconds: 0);

        cut.WaitForElements("[data-testid=feed-consumers] tbody tr", 2);
        Assert.Empty(cut.FindAll("[data-testid=feed-periodic]"));
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (_studio is not null)
        {
            await _studio.DisposeAsync();
        }
    }
}
