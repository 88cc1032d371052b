using ProfileStudio.Accounts;
using ProfileStudio.Core.Hosting;
using ProfileStudio.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddRootSettingsFile();
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
