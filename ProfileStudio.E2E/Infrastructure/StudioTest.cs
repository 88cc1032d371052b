using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using Xunit.Abstractions;

namespace ProfileStudio.E2E.Infrastructure;

/// <summary>
/// Base of every browser test: a fresh browser context per story; when it fails, a full-page
/// screenshot, the HTML and a Playwright trace named after the test; the browser's console
/// errors in the test output.
/// </summary>
[Collection(StudioCollection.Name)]
public abstract class StudioTest(StudioFixture studio, ITestOutputHelper output)
{
    protected StudioFixture Studio { get; } = studio;

    protected ITestOutputHelper Output { get; } = output;

    protected async Task WithPageAsync(Func<IPage, Task> story, [CallerMemberName] string test = "")
    {
        await using var context = await Studio.NewContextAsync();
        // A trace (DOM snapshots of every step, network, console) is kept only when the story fails.
        await context.Tracing.StartAsync(new TracingStartOptions { Snapshots = true, Screenshots = false, Sources = false });
        var page = await context.NewPageAsync();
        var problems = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Enqueue($"console error on {page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) => problems.Enqueue($"page error on {page.Url}: {error}");
        page.RequestFailed += (_, request) => problems.Enqueue($"request failed: {request.Method} {request.Url} ({request.Failure})");
        try
        {
            await story(page);
            await context.Tracing.StopAsync();
        }
        catch
        {
            await SaveFailureArtifactsAsync(page, $"{GetType().Name}.{test}");
            throw;
        }
        finally
        {
            foreach (var problem in problems)
            {
                Output.WriteLine(problem);
            }
        }
    }

    /// <summary>Creates an account directly through the app's services, as an administrator would.</summary>
    protected async Task<string> CreateUserAsync(string email, string password, params string[] roles)
    {
        var admin = Studio.Server.Services.GetRequiredService<UserAdministration>();
        var result = await admin.CreateAsync(AuditActor.System, email, "", roles, password);
        Assert.True(result.Succeeded, result.Error);
        var users = await admin.ListAsync();
        return users.Single(u => u.Email == email).Id;
    }

    /// <summary>A full-page screenshot, the page's HTML and the Playwright trace, named after the test.</summary>
    private async Task SaveFailureArtifactsAsync(IPage page, string name)
    {
        Output.WriteLine($"Failed at {page.Url}");
        try
        {
            Output.WriteLine($"Screenshot: {await Screenshots.SaveAsync(page, name)}");
            var html = Path.Combine(Screenshots.Directory, name + ".html");
            await File.WriteAllTextAsync(html, await page.ContentAsync());
            var trace = Path.Combine(Screenshots.Directory, name + ".trace.zip");
            await page.Context.Tracing.StopAsync(new TracingStopOptions { Path = trace });
            Output.WriteLine($"Trace (open with https://trace.playwright.dev): {trace}");
        }
        catch (PlaywrightException e)
        {
            Output.WriteLine($"Could not save the failure artifacts: {e.Message}");
        }
    }
}
