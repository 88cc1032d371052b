using System.Net;
using ProfileStudio.Tests.Support;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// Identifiers in the Profile API's path as a real server receives them: escapes are UTF-8 (as ingestion's text is), a
/// % that starts no escape is itself, and bytes that are not UTF-8 are no identifier.
/// </summary>
public sealed class ProfileApiIdentifierEncodingTests(ProfileApiKestrelAppFactory factory) : IClassFixture<ProfileApiKestrelAppFactory>
{
    /// <summary>"%FF" was looked up as the three characters "%FF" (the escape left as it was) and answered "Profile was not found.".</summary>
    [Theory]
    [InlineData("user_id:%FF")]
    [InlineData("user_id:ada%C3%28")]
    [InlineData("email:%ED%A0%80@example.com")] // an encoded UTF-16 surrogate
    public async Task Lookup_EscapesThatAreNotUtf8_Is400SayingSo(string identifier)
    {
        using var client = factory.ReaderClient();
        using var reads = await client.GetAsync($"api/v1/profiles/{identifier}/traits");
        using var segments = await client.GetAsync($"v1/spaces/s/collections/users/profiles/{identifier}/metadata");

        var message = await ApiResponses.ErrorAsync(reads, HttpStatusCode.BadRequest, "validation_error");
        Assert.Equal(message, await ApiResponses.ErrorAsync(segments, HttpStatusCode.BadRequest, "validation_error"));
        Assert.Contains("percent-encoded bytes are not UTF-8 text", message);
        Assert.Contains("a % itself is %25", message);
    }

    [Theory]
    [InlineData("Zo%C3%AB%20%F0%9F%9A%80")]
    [InlineData("a%2Fb%2F")]
    [InlineData("100%25")]
    [InlineData("50%ZZoff")] // a % that starts no escape is itself
    public async Task Lookup_Utf8EscapesAndALoneBareSign_FindTheProfile(string encoded)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var userId = Uri.UnescapeDataString(encoded) + tag;
        await factory.SendAsync(ProfileApiAppFactory.WebKey, new { type = "identify", userId, traits = new { marker = tag } });
        await factory.UnifiedAsync();
        using var client = factory.ReaderClient();

        using var response = await client.GetAsync($"api/v1/profiles/user_id:{encoded}{tag}/traits");

        var body = await ApiResponses.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(tag, body.GetProperty("traits").GetProperty("marker").GetString());
    }
}
