using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Segments;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class SegmentConfiguration : IEntityTypeConfiguration<Segment>
{
    public void Configure(EntityTypeBuilder<Segment> builder)
    {
        builder.ToTable("Segments");
        // Names are unique whatever their case ("VIP" and "vip" would confuse every picker).
        builder.Property(s => s.Name).HasMaxLength(Segment.MaxNameLength).UseCollation("NOCASE");
        builder.HasIndex(s => s.Name).IsUnique();
        builder.Property(s => s.Description).HasMaxLength(Segment.MaxDescriptionLength);
        builder.Property(s => s.Status).HasConversion<string>().HasMaxLength(10);
        builder.Property(s => s.Evaluation).HasConversion<string>().HasMaxLength(10);
        builder.Property(s => s.RuleJson).HasMaxLength(SegmentRuleJson.MaxLength);
        builder.Property(s => s.CreatedBy).HasMaxLength(256);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.Property(s => s.EvaluationError).HasMaxLength(2000);
    }
}

internal sealed class SegmentVersionConfiguration : IEntityTypeConfiguration<SegmentVersion>
{
    public void Configure(EntityTypeBuilder<SegmentVersion> builder)
    {
        builder.ToTable("SegmentVersions");
        builder.HasIndex(v => new { v.SegmentId, v.Version }).IsUnique();
        builder.Property(v => v.RuleJson).HasMaxLength(SegmentRuleJson.MaxLength);
        builder.Property(v => v.SavedBy).HasMaxLength(256);
        builder.HasOne<Segment>().WithMany().HasForeignKey(v => v.SegmentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SegmentMembershipConfiguration : IEntityTypeConfiguration<SegmentMembership>
{
    public void Configure(EntityTypeBuilder<SegmentMembership> builder)
    {
        builder.ToTable("SegmentMemberships");
        // The profile id leads the key: "which segments is this profile in" is one seek, and rows co-locate by profile.
        builder.HasKey(m => new { m.ProfileId, m.SegmentId });
        // Members of one segment, paged in profile-id order; counts and overlaps.
        builder.HasIndex(m => new { m.SegmentId, m.ProfileId });
    }
}

internal sealed class SegmentMembershipChangeConfiguration : IEntityTypeConfiguration<SegmentMembershipChange>
{
    public void Configure(EntityTypeBuilder<SegmentMembershipChange> builder)
    {
        builder.ToTable("SegmentMembershipChanges");
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(10);
        // "Entered / exited in the last 24 h" per segment, and pruning by time.
        builder.HasIndex(c => new { c.SegmentId, c.At });
        builder.HasIndex(c => c.ProfileId);
    }
}

internal sealed class SegmentDailySizeConfiguration : IEntityTypeConfiguration<SegmentDailySize>
{
    public void Configure(EntityTypeBuilder<SegmentDailySize> builder)
    {
        builder.ToTable("SegmentDailySizes");
        builder.HasKey(d => new { d.SegmentId, d.Day });
    }
}

internal sealed class SegmentClockCheckConfiguration : IEntityTypeConfiguration<SegmentClockCheck>
{
    public void Configure(EntityTypeBuilder<SegmentClockCheck> builder)
    {
        builder.ToTable("SegmentClockChecks");
        builder.HasKey(c => new { c.ProfileId, c.SegmentId });
        // The clock job's seek: checks that are due.
        builder.HasIndex(c => c.DueAt);
        builder.HasIndex(c => c.SegmentId);
    }
}

internal sealed class SegmentFeedOutboxConfiguration : IEntityTypeConfiguration<SegmentFeedOutboxRow>
{
    public void Configure(EntityTypeBuilder<SegmentFeedOutboxRow> builder)
    {
        builder.ToTable("SegmentFeedOutbox");
        builder.HasKey(r => r.Id);
    }
}
