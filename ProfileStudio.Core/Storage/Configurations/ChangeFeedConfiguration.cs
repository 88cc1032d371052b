using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.ChangeFeed;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class ProfileChangeConfiguration : IEntityTypeConfiguration<ProfileChange>
{
    public void Configure(EntityTypeBuilder<ProfileChange> builder)
    {
        // Append-only and read in id order: the primary key is the only index, so each run's rows cost one B-tree.
        builder.ToTable("ProfileChanges");
    }
}

internal sealed class ChangeFeedCheckpointConfiguration : IEntityTypeConfiguration<ChangeFeedCheckpoint>
{
    public void Configure(EntityTypeBuilder<ChangeFeedCheckpoint> builder)
    {
        builder.ToTable("ChangeFeedCheckpoints");
        builder.HasKey(c => c.Consumer);
        builder.Property(c => c.Consumer).HasMaxLength(64);
        builder.Property(c => c.LastError).HasMaxLength(2000);
    }
}
