using Microsoft.Playwright;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>
/// One running app and one headless Chromium for every browser test; each test gets its own
/// browser context (own cookies), so tests never share a session.
/// </summary>
public sealed class StudioFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public StudioServer Server { get; } = new();

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The fixture is not initialized.");

    public async Task InitializeAsync()
    {
        Screenshots.Reset();
        // Assertions poll, so a generous limit costs nothing when they pass; it absorbs a cold
        // start or a loaded build machine (one unexplained 30 s stall was seen in ~55 runs).
        Assertions.SetDefaultExpectTimeout(20_000);
        var chromium = ChromiumLocator.Resolve();
        Server.Start();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
            ],
        });
    }

    public Task<IBrowserContext> NewContextAsync() =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class StudioCollection : ICollectionFixture<StudioFixture>
{
    public const string Name = "Studio";
}
