using System.Net;
using System.Text.Json;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Hosting;

public sealed class StudioHostTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    [Fact]
    public async Task Healthz_Anonymous_IsHealthyJson()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_ConfiguredDataDirectory_HoldsTheDatabaseAndTheKeys()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.GetAsync("/Account/Login");

        Assert.True(File.Exists(Path.Combine(factory.DataDirectory, SqliteDatabase.FileName)));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(factory.DataDirectory, "keys"), "key-*.xml"));
    }

    [Theory]
    [InlineData("/", "/Account/Login?ReturnUrl=%2F")]
    [InlineData("/admin/users", "/Account/Login?ReturnUrl=%2Fadmin%2Fusers")]
    [InlineData("/admin/audit", "/Account/Login?ReturnUrl=%2Fadmin%2Faudit")]
    public async Task Get_AnonymousStudioPage_RedirectsToSignIn(string url, string expected)
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(expected, client.LocationOf(response));
    }

    [Fact]
    public async Task Get_LoginAnonymous_ShowsTheSignInForm()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.GetAsync("/Account/Login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var form = StudioClient.FormNamed(await StudioClient.ParseAsync(response), "login");
        Assert.Equal("post", form.GetAttribute("method"), ignoreCase: true);
        Assert.False(string.IsNullOrEmpty(StudioClient.HiddenFields(form).GetValueOrDefault("__RequestVerificationToken")));
        Assert.NotNull(form.QuerySelector("input#email"));
        Assert.Equal("password", form.QuerySelector("input#password")?.GetAttribute("type"));
    }

    [Fact]
    public async Task Post_LoginWithoutAntiforgeryToken_IsRejected()
    {
        using var client = factory.CreateStudioClient();

        using var response = await client.Http.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Email"] = StudioAppFactory.AdminEmail,
            ["Input.Password"] = StudioAppFactory.AdminPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Get_UnknownPage_IsNotFound()
    {
        using var client = factory.CreateStudioClient();
        await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword);

        using var response = await client.GetAsync("/no-such-page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
    }
}
