using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Ingestion.Files;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class FileBatchConfiguration : IEntityTypeConfiguration<FileBatch>
{
    public void Configure(EntityTypeBuilder<FileBatch> builder)
    {
        builder.ToTable("FileBatches");
        builder.Property(b => b.FileName).HasMaxLength(512);
        builder.Property(b => b.StoredPath).HasMaxLength(1024);
        builder.Property(b => b.UploadedBy).HasMaxLength(256);
        builder.Ignore(b => b.Progress);
        builder.HasOne<Source>().WithMany().HasForeignKey(b => b.SourceId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(b => b.UploadedAt);
    }
}

internal sealed class SavedFileMappingConfiguration : IEntityTypeConfiguration<SavedFileMapping>
{
    public void Configure(EntityTypeBuilder<SavedFileMapping> builder)
    {
        builder.ToTable("SavedFileMappings");
        builder.Property(m => m.Name).HasMaxLength(128);
        builder.HasIndex(m => new { m.SourceId, m.Name }).IsUnique();
        builder.HasOne<Source>().WithMany().HasForeignKey(m => m.SourceId).OnDelete(DeleteBehavior.Cascade);
    }
}
