using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class RawMessageConfiguration : IEntityTypeConfiguration<RawMessage>
{
    public void Configure(EntityTypeBuilder<RawMessage> builder)
    {
        builder.ToTable("RawMessages");
        builder.Property(m => m.Type).HasMaxLength(16);
        builder.Property(m => m.MessageId).HasMaxLength(256);
        builder.HasOne<Source>().WithMany().HasForeignKey(m => m.SourceId).OnDelete(DeleteBehavior.Restrict);
        // Retries carry the same messageId: the lake writer inserts with OR IGNORE against this index.
        builder.HasIndex(m => new { m.SourceId, m.MessageId }).IsUnique().HasFilter("\"Status\" = 1");
        builder.HasIndex(m => new { m.SourceId, m.Id });
        // Only rejected rows are listed by status or by file line (Rejected messages view, rejected-rows
        // report): partial indexes keep every accepted row's insert to three B-trees.
        builder.HasIndex(m => new { m.Status, m.Id }).HasFilter("\"Status\" = 2").HasDatabaseName("IX_RawMessages_Rejected");
        builder.HasIndex(m => new { m.BatchId, m.LineNumber }).HasFilter("\"Status\" = 2").HasDatabaseName("IX_RawMessages_RejectedByFileLine");
    }
}
