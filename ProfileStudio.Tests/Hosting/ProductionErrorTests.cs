using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Tests.Hosting;

/// <summary>The app as <c>dotnet run --project ProfileStudio</c> starts it (Production) on a real Kestrel port.</summary>
public sealed class ProductionAppFactory : StudioAppFactory
{
    public const string StreamingKey = "wk_prod_test_streaming_000000000000001";
    public const string BatchKey = "wk_prod_test_batch_00000000000000000002";

    private Uri? _address;

    public ProductionAppFactory() => UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

    public Uri Address
    {
        get
        {
            if (_address is null)
            {
                StartServer();
                var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
                _address = new Uri(addresses.Single().TrimEnd('/') + "/");
            }
            return _address;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Name", "Web");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:Kind", "streaming");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:0:WriteKey", StreamingKey);
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Name", "CRM");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:Kind", "batch");
        builder.UseSetting("ProfileStudio:Bootstrap:Sources:1:WriteKey", BatchKey);
    }

    /// <summary>A browser-like client (own cookies, redirects shown) talking to the real port.</summary>
    public StudioClient CreateKestrelStudioClient() =>
        new(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = Address });

    /// <summary>Sends bytes as they are on a new connection and reads the whole answer (Kestrel closes it after a bad request).</summary>
    public async Task<string> SendRawAsync(string head, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Address.Host, Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n" + body));
        await stream.FlushAsync();
        using var answer = new MemoryStream();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                answer.Write(buffer, 0, read);
                if (Encoding.UTF8.GetString(answer.ToArray()).Contains("\r\n0\r\n\r\n", StringComparison.Ordinal))
                {
                    break; // the end of a chunked answer; the server may keep the connection
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    /// <summary>Makes a table disappear for the duration of a test, so code reading it really throws.</summary>
    public async Task<IAsyncDisposable> HideTableAsync(string table)
    {
        var connection = new SqliteConnection(SqliteDatabase.ConnectionString(DataDirectory));
        await connection.OpenAsync();
        await Execute(connection, $"ALTER TABLE \"{table}\" RENAME TO \"{table}_hidden\"");
        return new Restore(connection, table);
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Restore(SqliteConnection connection, string table) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Execute(connection, $"ALTER TABLE \"{table}_hidden\" RENAME TO \"{table}\"");
            await connection.DisposeAsync();
        }
    }
}

/// <summary>
/// Outside Development nothing about the server leaks: no stack trace, no exception text, no echo of the
/// request's headers (the write key in <c>Authorization</c>). Real failures are provoked: a malformed chunked
/// body sent over a raw socket, and a request whose code throws because a table is missing.
/// </summary>
public sealed class ProductionErrorTests(ProductionAppFactory factory) : IClassFixture<ProductionAppFactory>
{
    private const string MalformedChunks = "ZZ\r\nnot-hex-sized\r\n0\r\n\r\n";

    /// <summary>Chunked bodies Kestrel cannot read, each its own way (a size too large for a number was a 500: an overflow).</summary>
    private static readonly string[] MalformedChunkVariants =
    [
        MalformedChunks,
        "FFFFFFFFF\r\nabc\r\n0\r\n\r\n",
        "FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
        "-1\r\nabc\r\n0\r\n\r\n",
        "5\r\nabc\r\n0\r\n\r\n",
        "3\r\nabcdef\r\n0\r\n\r\n",
    ];

    private static string Basic(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":"));

    private static void AssertNothingLeaks(string answer, params string[] secrets)
    {
        Assert.DoesNotContain("   at ", answer);
        Assert.DoesNotContain("Exception", answer);
        Assert.DoesNotContain("Authorization", answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Secret-Marker", answer, StringComparison.OrdinalIgnoreCase);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, answer);
        }
    }

    private static (int Status, string Headers, string Body) Split(string raw)
    {
        var end = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"No HTTP answer: {raw}");
        var statusLine = raw[..raw.IndexOf("\r\n", StringComparison.Ordinal)];
        return (int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), raw[..end], raw[(end + 4)..]);
    }

    [Theory]
    [InlineData("/v1/track", ProductionAppFactory.StreamingKey)]
    [InlineData("/v1/batch", ProductionAppFactory.StreamingKey)]
    [InlineData("/api/v1/sources/2/batches?kind=events&filename=events.ndjson", ProductionAppFactory.BatchKey)]
    public async Task Api_MalformedChunkedBody_Is400InTheApiShapeWithoutLeaks(string path, string key)
    {
        foreach (var chunks in MalformedChunkVariants)
        {
            var raw = await factory.SendRawAsync(
                $"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {Basic(key)}\r\nX-Secret-Marker: do-not-echo\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", chunks);

            var (status, _, body) = Split(raw);
            Assert.True(status == 400, $"{status} for the chunks {chunks.ReplaceLineEndings("⏎")}: {body}");
            Assert.Contains("\"code\":\"invalid_request_error\"", body);
            AssertNothingLeaks(raw, key, Basic(key), "do-not-echo", "Bad chunk", "Overflow");
        }
        // An upload cut short leaves no part of its file behind.
        var uploads = Path.Combine(factory.DataDirectory, "uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.GetFiles(uploads) : []);
    }

    [Fact]
    public async Task Studio_MalformedChunkedBody_Is400WithoutLeaks()
    {
        var raw = await factory.SendRawAsync(
            "POST /Account/Login HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic c2VjcmV0OnBhc3M=\r\nX-Secret-Marker: do-not-echo\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n", MalformedChunks);

        Assert.Equal(400, Split(raw).Status);
        AssertNothingLeaks(raw, "c2VjcmV0OnBhc3M=", "do-not-echo", "Bad chunk");
    }

    [Fact]
    public async Task Api_RequestThatThrows_Is500InTheApiShapeWithTheRequestIdOnly()
    {
        using var client = new HttpClient { BaseAddress = factory.Address };
        client.DefaultRequestHeaders.Authorization = new("Basic", Basic(ProductionAppFactory.BatchKey));
        client.DefaultRequestHeaders.Add("X-Secret-Marker", "do-not-echo");

        HttpResponseMessage response;
        await using (await factory.HideTableAsync("FileBatches"))
        {
            response = await client.GetAsync("api/v1/batches/1");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("internal_error", error.GetProperty("code").GetString());
            var requestId = response.Headers.GetValues("Request-Id").Single();
            Assert.Equal(requestId, error.GetProperty("request_id").GetString());
            Assert.Contains(requestId, error.GetProperty("message").GetString());
            AssertNothingLeaks(body, ProductionAppFactory.BatchKey, "do-not-echo", "FileBatches", "no such table", "Sqlite");
        }
    }

    [Fact]
    public async Task StudioPage_RequestThatThrows_ShowsTheFriendlyErrorPageWithTheRequestId()
    {
        using var client = factory.CreateKestrelStudioClient();
        (await client.SignInAsync(StudioAppFactory.AdminEmail, StudioAppFactory.AdminPassword)).Dispose();
        client.Http.DefaultRequestHeaders.Add("X-Secret-Marker", "do-not-echo");

        HttpResponseMessage response;
        await using (await factory.HideTableAsync("AuditEntries"))
        {
            response = await client.GetAsync("/admin/audit");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var page = await StudioClient.ParseAsync(response);
            Assert.Equal("Something went wrong", page.QuerySelector("h1")?.TextContent.Trim());
            Assert.Equal(response.Headers.GetValues("Request-Id").Single(), page.QuerySelector("[data-testid=request-id]")?.TextContent.Trim());
            AssertNothingLeaks(body, "do-not-echo", "AuditEntries", "no such table", "Sqlite", ".AspNetCore.Antiforgery", "ProfileStudio.Auth");
        }
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=xyz", "garbage")] // a body that never opens a part
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\r\na@b.c")] // cut short
    [InlineData("multipart/form-data", "--xyz\r\n")] // no boundary
    public async Task Api_UnreadableMultipartUpload_Is400SayingWhatToFix(string contentType, string body)
    {
        using var client = new HttpClient { BaseAddress = factory.Address };
        client.DefaultRequestHeaders.Authorization = new("Basic", Basic(ProductionAppFactory.BatchKey));
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync("api/v1/sources/2/batches?kind=profiles&mapping=auto", content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("\"code\":\"invalid_request_error\"", text);
        Assert.Contains("multipart form", text);
        AssertNothingLeaks(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("__RequestVerificationToken=forged")]
    public async Task SignOut_WithoutAValidFormToken_Is400AskingToReload(string form)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.Address };
        using var content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");

        using var response = await client.PostAsync("Account/Logout", content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("Reload the page and sign out again", text);
        AssertNothingLeaks(text);
    }

    [Fact]
    public void LaunchSettings_DefaultProfile_IsNotDevelopment()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ProfileStudio.sln")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.FullName, "ProfileStudio", "Properties", "launchSettings.json")));

        // dotnet run takes the first profile; without an environment variable there the host runs as Production.
        var first = settings.RootElement.GetProperty("profiles").EnumerateObject().First().Value;
        var environment = first.TryGetProperty("environmentVariables", out var variables)
            && variables.TryGetProperty("ASPNETCORE_ENVIRONMENT", out var value) ? value.GetString() : null;
        Assert.True(environment is null or "Production", $"dotnet run would start in {environment}.");
    }
}
