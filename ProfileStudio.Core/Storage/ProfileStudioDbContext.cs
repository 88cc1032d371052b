using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Accounts;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.MergePolicies;
using ProfileStudio.Core.Profiles;
using ProfileStudio.Core.Security;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Core.Storage;

/// <summary>The one database: studio accounts (ASP.NET Core Identity) and the profile store.</summary>
public sealed class ProfileStudioDbContext(DbContextOptions<ProfileStudioDbContext> options)
    : IdentityDbContext<ApplicationUser>(options)
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Source> Sources => Set<Source>();
    public DbSet<SourceHourlyStats> SourceHourlyStats => Set<SourceHourlyStats>();
    public DbSet<RawMessage> RawMessages => Set<RawMessage>();
    public DbSet<FileBatch> FileBatches => Set<FileBatch>();
    public DbSet<SavedFileMapping> SavedFileMappings => Set<SavedFileMapping>();
    public DbSet<IdentityNamespace> IdentityNamespaces => Set<IdentityNamespace>();
    public DbSet<IdentityRecord> Identities => Set<IdentityRecord>();
    public DbSet<IdentityLink> IdentityLinks => Set<IdentityLink>();
    public DbSet<NeverLinkRule> NeverLinkRules => Set<NeverLinkRule>();
    public DbSet<IdentityInsight> IdentityInsights => Set<IdentityInsight>();
    public DbSet<Profile> Profiles => Set<Profile>();
    public DbSet<ProfileAttribute> ProfileAttributes => Set<ProfileAttribute>();
    public DbSet<ProfileEvent> ProfileEvents => Set<ProfileEvent>();
    public DbSet<DeletedProfile> DeletedProfiles => Set<DeletedProfile>();
    public DbSet<UnificationCheckpoint> UnificationCheckpoints => Set<UnificationCheckpoint>();
    public DbSet<Unification.UnificationJob> UnificationJobs => Set<Unification.UnificationJob>();
    public DbSet<Unification.SetAsideMessage> SetAsideMessages => Set<Unification.SetAsideMessage>();
    public DbSet<ChangeFeed.ProfileChange> ProfileChanges => Set<ChangeFeed.ProfileChange>();
    public DbSet<ChangeFeed.ChangeFeedCheckpoint> ChangeFeedCheckpoints => Set<ChangeFeed.ChangeFeedCheckpoint>();
    public DbSet<MergePolicy> MergePolicies => Set<MergePolicy>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<ComputedAttributes.ComputedAttributeDefinition> ComputedAttributeDefinitions => Set<ComputedAttributes.ComputedAttributeDefinition>();
    public DbSet<ComputedAttributes.ComputedProfileState> ComputedProfileStates => Set<ComputedAttributes.ComputedProfileState>();
    public DbSet<ComputedAttributes.ComputedStatePart> ComputedStateParts => Set<ComputedAttributes.ComputedStatePart>();
    public DbSet<Schema.SchemaAttribute> SchemaAttributes => Set<Schema.SchemaAttribute>();
    public DbSet<Schema.SchemaEvent> SchemaEvents => Set<Schema.SchemaEvent>();
    public DbSet<Schema.SchemaProfile> SchemaProfiles => Set<Schema.SchemaProfile>();
    public DbSet<Schema.SchemaState> SchemaStates => Set<Schema.SchemaState>();
    public DbSet<Schema.SchemaExample> SchemaExamples => Set<Schema.SchemaExample>();
    public DbSet<Schema.SchemaEventExample> SchemaEventExamples => Set<Schema.SchemaEventExample>();
    public DbSet<Dashboard.DashboardDay> DashboardDays => Set<Dashboard.DashboardDay>();
    public DbSet<Dashboard.DashboardSnapshot> DashboardSnapshots => Set<Dashboard.DashboardSnapshot>();
    public DbSet<Dashboard.DashboardDailyFigure> DashboardDailyFigures => Set<Dashboard.DashboardDailyFigure>();
    public DbSet<Segments.Segment> Segments => Set<Segments.Segment>();
    public DbSet<Segments.SegmentVersion> SegmentVersions => Set<Segments.SegmentVersion>();
    public DbSet<Segments.SegmentMembership> SegmentMemberships => Set<Segments.SegmentMembership>();
    public DbSet<Segments.SegmentMembershipChange> SegmentMembershipChanges => Set<Segments.SegmentMembershipChange>();
    public DbSet<Segments.SegmentDailySize> SegmentDailySizes => Set<Segments.SegmentDailySize>();
    public DbSet<Segments.SegmentClockCheck> SegmentClockChecks => Set<Segments.SegmentClockCheck>();
    public DbSet<Segments.SegmentFeedOutboxRow> SegmentFeedOutbox => Set<Segments.SegmentFeedOutboxRow>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(ProfileStudioDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite keeps no time zone: every DateTime is stored and read back as UTC.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}
