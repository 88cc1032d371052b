using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The app with a clock the test moves, for behaviour that waits (session revalidation).</summary>
public sealed class ClockedStudioAppFactory : StudioAppFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
