using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.Demo;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Unification;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Sources;
using ProfileStudio.Core.Storage;
using ProfileStudio.Core.Storage.Sqlite;

namespace ProfileStudio.Core.Hosting;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Options, storage, migrations at start-up, and the Core services every feature uses.</summary>
    public static IServiceCollection AddProfileStudioCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProfileStudioStorage(configuration);
        services.AddHostedService<DatabaseMigrator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AuditLog>();
        services.AddSingleton<UserPreferences>();

        services.AddOptions<IngestionOptions>().Bind(configuration.GetSection(IngestionOptions.Section));
        services.AddSingleton<SourceRegistry>();
        services.AddHostedService<SourceBootstrapper>();
        services.AddSingleton<ApiTokenStore>();
        services.AddHostedService<ApiTokenBootstrapper>();
        services.AddSingleton<LakeNotifications>();
        services.AddSingleton<LakeReader>();
        services.AddSingleton<LakeWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<LakeWriter>());
        services.AddSingleton<FileBatchQueue>();
        services.AddSingleton<FileBatchNotifications>();
        services.AddSingleton<FileBatches>();
        services.AddSingleton<FileMappingSuggester>();
        services.AddSingleton<AttributeKeyCatalog>();
        services.AddHostedService<FileBatchProcessor>();
        services.AddSingleton<IdentityRulesStore>();
        services.AddSingleton<UnificationNotifications>();
        services.AddSingleton<UnificationJobs>();
        services.AddSingleton<PoisonMessages>();
        services.AddOptions<ChangeFeed.ChangeFeedOptions>().BindConfiguration(ChangeFeed.ChangeFeedOptions.Section);
        services.AddSingleton<ChangeFeed.ChangeFeedSignal>();
        services.AddSingleton<ChangeFeed.ChangeFeedProgress>();
        services.AddSingleton<ChangeFeed.ChangeFeedStore>();
        services.AddSingleton<ChangeFeed.IChangeFeedConsumer, ChangeFeed.StudioPagesConsumer>();
        services.AddSingleton<Schema.SchemaMaintainer>();
        services.AddSingleton<Schema.SchemaCatalog>();
        services.AddSingleton<ChangeFeed.IChangeFeedConsumer, Schema.SchemaConsumer>();
        services.AddHostedService<Schema.SchemaBackfill>();
        services.AddOptions<Dashboard.DashboardOptions>().Bind(configuration.GetSection(Dashboard.DashboardOptions.Section));
        services.AddSingleton<Dashboard.DashboardSnapshots>();
        services.AddSingleton<ChangeFeed.IChangeFeedConsumer, Dashboard.DashboardConsumer>();
        services.AddHostedService<Dashboard.DashboardBackfill>();
        services.AddHostedService<Dashboard.DashboardRefreshJob>();
        services.AddHostedService<ChangeFeed.ChangeFeedHost>();
        services.AddHostedService<ChangeFeed.ChangeFeedPruning>();
        services.AddMetrics();
        services.AddSingleton<PipelineLag>();
        services.AddSingleton<ProfileStudioMetrics>();
        services.AddSingleton<IdentityReader>();
        services.AddSingleton<ProfileReader>();
        services.AddSingleton<Segments.SegmentCatalog>();
        services.AddSingleton<Segments.SegmentMembershipWriter>();
        services.AddSingleton<Unification.IRebuildFollower>(sp => sp.GetRequiredService<Segments.SegmentMembershipWriter>());
        services.AddSingleton<Segments.SegmentStore>();
        services.AddOptions<Segments.SegmentOptions>().Bind(configuration.GetSection(Segments.SegmentOptions.Section));
        services.AddSingleton<Segments.SegmentMembershipEvaluator>();
        services.AddSingleton<Segments.SegmentChangeConsumer>();
        services.AddSingleton<ChangeFeed.IChangeFeedConsumer>(sp => sp.GetRequiredService<Segments.SegmentChangeConsumer>());
        services.AddSingleton<Segments.SegmentBatchJob>();
        services.AddHostedService(sp => sp.GetRequiredService<Segments.SegmentBatchJob>());
        services.AddSingleton<Segments.SegmentClockJob>();
        services.AddHostedService(sp => sp.GetRequiredService<Segments.SegmentClockJob>());
        services.AddSingleton<ComputedAttributes.ComputedDefinitionCatalog>();
        services.AddSingleton<ComputedAttributes.ComputedAttributeStore>();
        services.AddSingleton<ComputedAttributes.ComputedAttributeReader>();
        services.AddSingleton<ComputedAttributes.Expressions.ExpressionAttributes>();
        services.AddOptions<ComputedAttributes.ComputedAttributeOptions>().Bind(configuration.GetSection(ComputedAttributes.ComputedAttributeOptions.Section));
        // The unification pipeline with the computed-attributes stage at its end (the worker, splits and rebuilds run it).
        services.AddSingleton(sp => UnificationPipeline.Default.WithComputedAttributes(sp.GetRequiredService<ComputedAttributes.ComputedDefinitionCatalog>()));
        services.AddSingleton<ComputedAttributes.ComputedAttributeBackfillJob>();
        services.AddHostedService(sp => sp.GetRequiredService<ComputedAttributes.ComputedAttributeBackfillJob>());
        services.AddSingleton<ComputedAttributes.ComputedAttributeExpiryJob>();
        services.AddHostedService(sp => sp.GetRequiredService<ComputedAttributes.ComputedAttributeExpiryJob>());
        // Segments' all-profiles path; "is in segment X" reads the stored memberships.
        services.TryAddSingleton<Segments.ISegmentMembershipSource, Segments.StoredSegmentMemberships>();
        services.AddSingleton<Segments.SegmentIndexHost>();
        services.AddSingleton<ChangeFeed.IChangeFeedConsumer, Segments.SegmentIndexConsumer>();
        services.AddHostedService<Segments.SegmentIndexLoading>();
        services.AddSingleton<Segments.SegmentEstimator>();
        services.AddSingleton<ProfileEraser>();
        services.AddOptions<UnificationOptions>().Bind(configuration.GetSection(UnificationOptions.Section));
        services.AddHostedService<UnificationWorker>();
        services.AddSingleton<MergePolicyStore>();
        services.AddSingleton<ProfileExplorerReader>();
        services.AddSingleton<ProfileDirectory>();
        services.AddSingleton<StudioEdits>();
        services.AddHostedService<MergePolicyBootstrapper>();
        services.AddOptions<DemoDataOptions>().Bind(configuration.GetSection(DemoDataOptions.Section));
        services.AddHostedService<DemoDataSeeder>();
        return services;
    }

    /// <summary>
    /// Options, the EF Core context and the storage ports, implemented by the provider that
    /// <c>ProfileStudio:Storage:Provider</c> names (<c>sqlite</c>, the default). An unknown provider
    /// stops the start with a message naming the valid values.
    /// </summary>
    public static IServiceCollection AddProfileStudioStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProfileStudioOptions>().Bind(configuration.GetSection(ProfileStudioOptions.Section));
        services.AddOptions<StorageProviderOptions>().Bind(configuration.GetSection(StorageProviderOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageProviderOptions>, StorageProviderValidation>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddDbContextFactory<ProfileStudioDbContext>((sp, o) =>
        {
            _ = Provider(sp); // only SQLite today
            var dataDirectory = sp.GetRequiredService<IOptions<ProfileStudioOptions>>().Value.DataDirectoryFullPath;
            // Owner-only folder and database files (0700/0600) before SQLite creates anything.
            PrivateFiles.PrepareDataDirectory(dataDirectory);
            o.UseSqlite(SqliteDatabase.EfConnectionString(dataDirectory)).AddInterceptors(new SqlitePragmasInterceptor());
        });
        // One implementation per provider; a second provider adds its arm to each switch.
        services.AddSingleton<ILakeAppend>(sp => Provider(sp) switch
        {
            StorageProviderOptions.Sqlite => ActivatorUtilities.CreateInstance<SqliteLakeAppend>(sp),
            var other => throw NotImplemented(other, typeof(ILakeAppend)),
        });
        services.AddSingleton<IUnificationStorage>(sp => Provider(sp) switch
        {
            StorageProviderOptions.Sqlite => ActivatorUtilities.CreateInstance<SqliteUnificationStorage>(sp),
            var other => throw NotImplemented(other, typeof(IUnificationStorage)),
        });
        services.AddSingleton<IProfileLookupStore>(sp => Provider(sp) switch
        {
            StorageProviderOptions.Sqlite => ActivatorUtilities.CreateInstance<SqliteProfileLookupStore>(sp),
            var other => throw NotImplemented(other, typeof(IProfileLookupStore)),
        });
        return services;
    }

    /// <summary>The configured provider; an unknown one throws (<see cref="OptionsValidationException"/>) with the message that names the valid values.</summary>
    private static string Provider(IServiceProvider sp) => sp.GetRequiredService<IOptions<StorageProviderOptions>>().Value.KnownProvider!;

    private static InvalidOperationException NotImplemented(string provider, Type port) =>
        new($"The storage provider \"{provider}\" has no implementation of {port.Name}.");
}
