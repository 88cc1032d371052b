using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Dashboard;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class DashboardDayConfiguration : IEntityTypeConfiguration<DashboardDay>
{
    public void Configure(EntityTypeBuilder<DashboardDay> builder)
    {
        // Trends read a range of one stitching's days: the key is that index.
        builder.ToTable("DashboardDays");
        builder.HasKey(d => new { d.Stitching, d.Day });
    }
}

internal sealed class DashboardSnapshotConfiguration : IEntityTypeConfiguration<DashboardSnapshot>
{
    public void Configure(EntityTypeBuilder<DashboardSnapshot> builder)
    {
        builder.ToTable("DashboardSnapshots");
        builder.Property(s => s.Id).ValueGeneratedNever();
    }
}

internal sealed class DashboardDailyFigureConfiguration : IEntityTypeConfiguration<DashboardDailyFigure>
{
    public void Configure(EntityTypeBuilder<DashboardDailyFigure> builder)
    {
        builder.ToTable("DashboardDailyFigures");
        builder.HasKey(d => d.Day);
    }
}
