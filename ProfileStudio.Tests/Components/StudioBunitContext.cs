using Bunit;
using Bunit.TestDoubles;
using MudBlazor.Services;

namespace ProfileStudio.Tests.Components;

/// <summary>
/// The one bUnit context the component tests share: MudBlazor's services, loose JS interop (MudBlazor
/// calls JS that a test need not answer), and a fake signed-in user set through <see cref="Auth"/>.
/// </summary>
public abstract class StudioBunitContext : BunitContext, IAsyncLifetime
{
    protected StudioBunitContext()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Auth = AddAuthorization();
        // Pages load their data from a real SQLite store on the thread pool; with the whole suite running on two cores that took
        // longer than bUnit's default second now and then (a segment page's size, seen once). A wait ends as soon as it holds.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
    }

    protected BunitAuthorizationContext Auth { get; }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only IAsyncDisposable; xunit 2 disposes test classes synchronously,
    // so the container is disposed asynchronously here first (the later Dispose is then a no-op).
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected void SignIn(string userName, params string[] roles)
    {
        Auth.SetAuthorized(userName);
        Auth.SetRoles(roles);
    }
}
