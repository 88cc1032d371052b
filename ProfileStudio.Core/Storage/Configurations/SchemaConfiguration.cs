using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Schema;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class SchemaAttributeConfiguration : IEntityTypeConfiguration<SchemaAttribute>
{
    public void Configure(EntityTypeBuilder<SchemaAttribute> builder)
    {
        builder.ToTable("SchemaAttributes");
        builder.HasKey(a => a.Path);
    }
}

internal sealed class SchemaEventConfiguration : IEntityTypeConfiguration<SchemaEvent>
{
    public void Configure(EntityTypeBuilder<SchemaEvent> builder)
    {
        builder.ToTable("SchemaEvents");
        builder.HasKey(e => e.Key);
    }
}

internal sealed class SchemaProfileConfiguration : IEntityTypeConfiguration<SchemaProfile>
{
    public void Configure(EntityTypeBuilder<SchemaProfile> builder)
    {
        builder.ToTable("SchemaProfiles");
        builder.HasKey(p => p.ProfileId);
        builder.Property(p => p.ProfileId).ValueGeneratedNever();
    }
}

internal sealed class SchemaStateConfiguration : IEntityTypeConfiguration<SchemaState>
{
    public void Configure(EntityTypeBuilder<SchemaState> builder)
    {
        builder.ToTable("SchemaState");
        builder.Property(s => s.Id).ValueGeneratedNever();
    }
}

internal sealed class SchemaExampleConfiguration : IEntityTypeConfiguration<SchemaExample>
{
    public void Configure(EntityTypeBuilder<SchemaExample> builder)
    {
        builder.ToTable("SchemaExamples");
        builder.HasKey(e => new { e.Path, e.Value });
        builder.HasIndex(e => e.ProfileId); // a delete removes a person's examples
    }
}

internal sealed class SchemaEventExampleConfiguration : IEntityTypeConfiguration<SchemaEventExample>
{
    public void Configure(EntityTypeBuilder<SchemaEventExample> builder)
    {
        builder.ToTable("SchemaEventExamples");
        builder.HasKey(e => new { e.EventKey, e.Path, e.Value });
        builder.HasIndex(e => e.ProfileId);
    }
}
