using System.Globalization;
using ProfileStudio.Accounts;
using ProfileStudio.Core.Formatting;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Hosting;

// One culture for every figure and date the studio writes, whatever the server's locale: DisplayFormat's,
// so a count formatted anywhere ("N0") reads as DisplayFormat writes numbers ("2,854", "1,498.76").
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = DisplayFormat.Culture;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddRootSettingsFile();
// The pool's minimum of worker threads, when configured (see ThreadPoolSettings).
ThreadPoolSettings.Apply(builder.Configuration);
// Serves MudBlazor's and the framework's assets from the build output in every environment.
builder.WebHost.UseStaticWebAssets();

// The test clock (end-to-end tests only) first: the Core keeps a clock already registered.
builder.Services.AddTestClock(builder.Configuration, builder.Environment);
builder.Services.AddProfileStudioCore(builder.Configuration);
builder.Services.AddStudioAccounts();
builder.Services.AddStudio();

var app = builder.Build();
app.UseStudio();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
