using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ProfileStudio.Testing;

namespace ProfileStudio.Bench;

/// <summary>
/// A CSV of profile records uploaded to a batch source of the real server and processed end to end
/// (read, mapped, validated, stored in the lake); prints rows/s and the server's peak memory.
/// </summary>
internal static class BatchBenchmark
{
    private const string BatchKey = "wk_bench_batch_0123456789abcdefghij";

    public static async Task<int> RunAsync(int rows)
    {
        var file = Path.Combine(Path.GetTempPath(), $"profilestudio-bench-{rows}.csv");
        var stopwatch = Stopwatch.StartNew();
        WriteCsv(file, rows);
        var size = new FileInfo(file).Length;
        Console.WriteLine($"batch: {rows:N0} profile records, {size / 1024.0 / 1024:N0} MB CSV (made in {stopwatch.Elapsed.TotalSeconds:N1} s), {Environment.ProcessorCount} cores, unification off (see unify)");

        // The first stage alone: CsvHelper reading + mapping each row to a message, in this process.
        stopwatch.Restart();
        await using (var stream = File.OpenRead(file))
        {
            var headers = ProfileStudio.Core.Ingestion.Files.CsvFiles.ReadPreview(stream, 0).Headers;
            stream.Position = 0;
            var mapping = ProfileStudio.Core.Ingestion.Files.FileMapping.Suggest(ProfileStudio.Core.Ingestion.Files.FileKind.ProfileRecords, headers);
            var count = ProfileStudio.Core.Ingestion.Files.FileBatchProcessor.ReadCsv(stream, mapping, 1, DateTime.UtcNow).Count();
            Console.WriteLine($"  read + map only (no storage): {count / stopwatch.Elapsed.TotalSeconds:N0} rows/s");
        }

        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ProfileStudio__Bootstrap__Sources__1__Name"] = "Bench CRM",
            ["ProfileStudio__Bootstrap__Sources__1__Kind"] = "batch",
            ["ProfileStudio__Bootstrap__Sources__1__WriteKey"] = BatchKey,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(BatchKey + ":")));

        stopwatch.Restart();
        await using (var stream = File.OpenRead(file))
        {
            using var content = new StreamContent(stream);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var upload = await http.PostAsync("/api/v1/sources/2/batches?kind=profiles&mapping=auto&filename=bench.csv", content);
            if (!upload.IsSuccessStatusCode)
            {
                Console.WriteLine($"  upload refused: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
                return 1;
            }
        }
        var uploaded = stopwatch.Elapsed.TotalSeconds;
        JsonElement status;
        while (true)
        {
            status = JsonDocument.Parse(await http.GetStringAsync("/api/v1/batches/1")).RootElement;
            var state = status.GetProperty("status").GetString();
            if (state is "Completed" or "Failed")
            {
                break;
            }
            await Task.Delay(250);
        }
        var total = stopwatch.Elapsed.TotalSeconds;
        var processing = total - uploaded;
        Console.WriteLine($"  status: {status.GetProperty("status").GetString()}; rows read {status.GetProperty("rowsRead").GetInt64():N0}, accepted {status.GetProperty("rowsAccepted").GetInt64():N0}, rejected {status.GetProperty("rowsRejected").GetInt64():N0}");
        Console.WriteLine($"  upload (stored on disk): {uploaded:N1} s; processing: {processing:N1} s = {rows / processing:N0} rows/s; end to end {rows / total:N0} rows/s (target >= 50,000)");
        Console.WriteLine($"  server peak RSS: {server.PeakRssMb():N0} MB (target < 500 MB)");
        File.Delete(file);
        return 0;
    }

    private static void WriteCsv(string path, int rows)
    {
        string[] cities = ["London", "Manchester", "Leeds", "Glasgow", "Cardiff", "Belfast", "Bristol", "Dublin"];
        string[] first = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger"];
        var random = new Random(42);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.WriteLine("crm_id,email,phone,first_name,last_name,city,birthday,is_vip,total_amount,notes");
        for (var i = 0; i < rows; i++)
        {
            var name = first[i % first.Length];
            writer.Write("CRM-");
            writer.Write(i.ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write($"{name.ToLowerInvariant()}.{i}@example.com,+44 7700 {i % 1_000_000:000000},{name},Surname{i % 5000},{cities[i % cities.Length]},");
            writer.Write($"{1950 + i % 55}-{1 + i % 12:00}-{1 + i % 28:00},{(i % 10 == 0 ? "yes" : "no")},{random.Next(0, 500_000) / 100.0:0.00},");
            writer.WriteLine(i % 7 == 0 ? "\"likes \"\"trail\"\" shoes, size 42\"" : "");
        }
    }
}
