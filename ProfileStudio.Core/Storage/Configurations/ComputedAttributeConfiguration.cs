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

internal sealed class ComputedProfileStateConfiguration : IEntityTypeConfiguration<ComputedProfileState>
{
    public void Configure(EntityTypeBuilder<ComputedProfileState> builder)
    {
        builder.ToTable(ComputedProfileState.Table);
        // The profile id is the row id (INTEGER PRIMARY KEY on SQLite): a profile's row is one seek, with no key index beside it.
        builder.HasKey(s => s.ProfileId);
        builder.Property(s => s.ProfileId).ValueGeneratedNever();
        // The expiry job's seek: rows with an entry whose oldest bucket has left the window.
        builder.HasIndex(s => s.NextExpiryAt).HasFilter("\"NextExpiryAt\" IS NOT NULL");
    }
}

internal sealed class ComputedStatePartConfiguration : IEntityTypeConfiguration<ComputedStatePart>
{
    public void Configure(EntityTypeBuilder<ComputedStatePart> builder)
    {
        builder.ToTable(ComputedStatePart.Table);
        builder.HasKey(s => new { s.ProfileId, s.MergedFromId });
    }
}
