namespace ProfileStudio.Hosting;

/// <summary>
/// <c>ProfileStudio:ThreadPool:MinWorkerThreads</c>: how many pool threads the runtime starts at once, before it adds
/// threads one at a time as it sees work waiting. SQLite calls block their thread (Microsoft.Data.Sqlite's async
/// methods run synchronously), and the unification worker, the lake writer, each change-feed consumer and each request
/// that reads the store hold a pool thread while they do. With the runtime's default (one thread per core: two on a
/// small machine) the pool starves for the first half minute under load (80–200 work items queued, threads added about
/// one a second), which delays the change-feed consumers; starting 32 at once removed that and halved their delivery
/// lag in the <c>feed</c> benchmark, but the consumers then took more of the two cores from unification, whose runs grew
/// longer (<c>lag --computed</c> p95 3.3–5.7 s against 2.6–3.3 s). So the default (0) keeps the runtime's own, and an
/// operator whose dashboards and segments lag behind on a machine with spare cores can raise it (README, Benchmarks).
/// </summary>
public static class ThreadPoolSettings
{
    public const string Key = "ProfileStudio:ThreadPool:MinWorkerThreads";

    /// <summary>0: the runtime's own minimum (one thread per core).</summary>
    public const int Default = 0;

    /// <summary>Raises the pool's minimum of worker threads (never lowers it below the runtime's own); 0 keeps the runtime's default.</summary>
    public static void Apply(IConfiguration configuration)
    {
        var text = configuration[Key]?.Trim();
        var wanted = Default;
        if (!string.IsNullOrWhiteSpace(text) && (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out wanted) || wanted > 1024))
        {
            throw new InvalidOperationException($"{Key} must be a whole number from 0 to 1024 (0 keeps the runtime's default); it is \"{text}\".");
        }
        ThreadPool.GetMinThreads(out var workers, out var completion);
        if (wanted > workers && !ThreadPool.SetMinThreads(wanted, completion))
        {
            ThreadPool.GetMaxThreads(out var most, out _);
            throw new InvalidOperationException($"{Key} is {wanted}, above the pool's most worker threads ({most}): lower it.");
        }
    }
}
