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
