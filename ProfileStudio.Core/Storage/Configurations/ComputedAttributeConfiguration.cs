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
        // No (DefinitionId, ProfileId) index: a profile's first state of a definition landed on a random page of it, about a page
        // rewritten per message in live runs, a quarter of what computed attributes cost unification. The key serves the
        // backfill's range of profiles, and the distribution's walk in profile order; per-definition counts scan the key.
        // The expiry job's seek: rows whose oldest bucket has left the window.
        builder.HasIndex(s => s.NextExpiryAt).HasFilter("\"NextExpiryAt\" IS NOT NULL");
    }
}
