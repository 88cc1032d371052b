using System.Net;
using System.Text.Json;

namespace ProfileStudio.Tests.Support;

/// <summary>Reads the HTTP APIs' answers: JSON bodies and the one error shape <c>{"error":{"code","message"}}</c>.</summary>
internal static class ApiResponses
{
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the status and error code; returns the error's message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        return error.GetProperty("message").GetString()!;
    }
}
