using System.Net;
using System.Text.Json;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The OpenAPI document (public) and the API reference page (signed in, any role).</summary>
public sealed class ApiDocumentTests(StudioAppFactory factory) : IClassFixture<StudioAppFactory>
{
    [Fact]
    public async Task Document_ListsTheProfileTrackingAndBatchApis_AndNoStudioPages()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var endpoint in new[] { "traits", "external_ids", "events", "metadata" })
        {
            Assert.Contains($"/api/v1/profiles/{{identifier}}/{endpoint}", paths);
            Assert.Contains($"/v1/spaces/{{space}}/collections/users/profiles/{{identifier}}/{endpoint}", paths);
        }
        Assert.Contains("/api/v1/profiles/{identifier}", paths);
        Assert.Contains("/v1/{type}", paths);
        Assert.All(paths, p => Assert.True(p.StartsWith("/v1/", StringComparison.Ordinal) || p.StartsWith("/api/", StringComparison.Ordinal), p));
        Assert.Equal("ProfileStudio APIs", document.RootElement.GetProperty("info").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Document_EveryParameterIsDescribed_AndNumbersAreTypedAsNumbers()
    {
        using var client = factory.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var parameters = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("parameters", out _))
                .SelectMany(op => op.Value.GetProperty("parameters").EnumerateArray().Select(p => (Where: $"{op.Name.ToUpperInvariant()} {path.Name} {p.GetProperty("name").GetString()}", Parameter: p))))
            .ToList();

        Assert.NotEmpty(parameters);
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Parameter.TryGetProperty("description", out var d) ? d.GetString() : null), $"{p.Where} has no description"));
        var limits = parameters.Where(p => p.Parameter.GetProperty("name").GetString() == "limit").ToList();
        Assert.Equal(8, limits.Count); // traits, external_ids, events and segments, on both paths
        Assert.All(limits, p => Assert.Equal("integer", p.Parameter.GetProperty("schema").GetProperty("type").GetString()));
        var traits = parameters.Single(p => p.Where == "GET /api/v1/profiles/{identifier}/traits limit").Parameter;
        Assert.Equal("How many traits a page holds: 1 to 200, 10 when left out.", traits.GetProperty("description").GetString());
        var segments = parameters.Single(p => p.Where == "GET /api/v1/profiles/{identifier}/segments limit").Parameter;
        Assert.Equal("How many segments a page holds: 1 to 100, 25 when left out.", segments.GetProperty("description").GetString());
    }

    [Fact]
    public async Task ReferencePage_ForAnySignedInRole_AndSignInFirstForAnonymous()
    {
        using var anonymous = factory.CreateStudioClient();
        using var support = factory.CreateStudioClient();
        await support.SignInAsync(await factory.CreateUserAsync(Roles.Support), "User-Pass-2026!");

        using var refused = await anonymous.GetAsync("/api-reference");
        using var page = await support.GetAsync("/api-reference");

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Contains("/Account/Login", anonymous.LocationOf(refused));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        // Rendered by the studio from the document: the operations are in the page, and nothing points outside the server.
        // Paths are read as people see them: long ones carry <wbr> break points (WrapText) between their parts.
        var text = System.Text.RegularExpressions.Regex.Replace(html, @"<wbr\s*/?>|<span class=""text-nowrap"">|</span>", "");
        Assert.Contains("/api/v1/profiles/{identifier}/traits", text);
        Assert.Contains("/v1/{type}", text);
        Assert.Contains("authenticate with an <a", html); // "an API token", the link's text
        Assert.Contains("How many traits a page holds", html); // the parameters' descriptions, in the page's source once expanded
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", html);
        Assert.DoesNotContain("scalar", html, StringComparison.OrdinalIgnoreCase);
    }
}
