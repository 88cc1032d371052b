using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.ComputedAttributes;
using ProfileStudio.Core.ComputedAttributes.Expressions;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class ComputedAttributeDefinitionConfiguration : IEntityTypeConfiguration<ComputedAttributeDefinition>
{
    public void Configure(EntityTypeBuilder<ComputedAttributeDefinition> builder)
    {
        builder.ToTable("ComputedAttributeDefinitions");
        builder.Property(d => d.Name).HasMaxLength(Ingestion.AttributeKeys.MaxLength);
        builder.HasIndex(d => d.Name).IsUnique();
        builder.Property(d => d.Description).HasMaxLength(ComputedAttributeDefinition.MaxDescriptionLength);
        builder.Property(d => d.Function).HasConversion<string>().HasMaxLength(20);
        builder.Property(d => d.Formula).HasMaxLength(ExpressionFormula.MaxLength);
        builder.Property(d => d.WindowUnit).HasConversion<string>().HasMaxLength(10);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(10);
        builder.Ignore(d => d.EventNames);
        builder.Ignore(d => d.Conditions);
        builder.Ignore(d => d.Window);
        builder.Ignore(d => d.IsLive);
    }
}

internal sealed class ComputedAttributeStateConfiguration : IEntityTypeConfiguration<ComputedAttributeState>
{
    public void Configure(EntityTypeBuilder<ComputedAttributeState> builder)
    {
        builder.ToTable("ComputedAttributeStates");
        // The profile id leads the key: a profile's rows sit together (and co-locate when sharded by profile).
        builder.HasKey(s => new { s.ProfileId, s.DefinitionId, s.MergedFromId });
        // The backfill replaces a range of profiles of one definition; the distribution reads one definition.
        builder.HasIndex(s => new { s.DefinitionId, s.ProfileId });
        // The expiry job's seek: rows whose oldest bucket has left the window.
        builder.HasIndex(s => s.NextExpiryAt).HasFilter("\"NextExpiryAt\" IS NOT NULL");
    }
}
