using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class SourceConfiguration : IEntityTypeConfiguration<Source>
{
    public void Configure(EntityTypeBuilder<Source> builder)
    {
        builder.ToTable("Sources");
        builder.Property(s => s.Name).HasMaxLength(128);
        builder.HasIndex(s => s.Name).IsUnique();
        builder.Property(s => s.Description).HasMaxLength(2000);
        builder.Property(s => s.WriteKeyHash).HasMaxLength(64);
        builder.HasIndex(s => s.WriteKeyHash).IsUnique();
        builder.Property(s => s.WriteKeyHint).HasMaxLength(16);
    }
}

internal sealed class SourceHourlyStatsConfiguration : IEntityTypeConfiguration<SourceHourlyStats>
{
    public void Configure(EntityTypeBuilder<SourceHourlyStats> builder)
    {
        builder.ToTable("SourceHourlyStats");
        builder.HasKey(s => new { s.SourceId, s.Hour });
        builder.HasOne<Source>().WithMany().HasForeignKey(s => s.SourceId).OnDelete(DeleteBehavior.Cascade);
    }
}
