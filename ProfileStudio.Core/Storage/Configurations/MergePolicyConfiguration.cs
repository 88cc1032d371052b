using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.MergePolicies;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class MergePolicyConfiguration : IEntityTypeConfiguration<MergePolicy>
{
    public void Configure(EntityTypeBuilder<MergePolicy> builder)
    {
        builder.ToTable("MergePolicies");
        builder.Property(p => p.Name).HasMaxLength(MergePolicy.MaxNameLength);
        builder.HasIndex(p => p.Name).IsUnique();
        builder.Property(p => p.Description).HasMaxLength(MergePolicy.MaxDescriptionLength);
        builder.PrimitiveCollection(p => p.SourcePrecedence);
        // Overrides (each with its own source list) live in one JSON column: always read and written with the policy.
        builder.ComplexCollection(p => p.Overrides, o => o.ToJson());
        // At most one default row at any moment; the store keeps it at exactly one.
        builder.HasIndex(p => p.IsDefault).IsUnique().HasFilter("\"IsDefault\" = 1");
    }
}
