using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Security;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> builder)
    {
        builder.ToTable("ApiTokens");
        builder.Property(t => t.Name).HasMaxLength(ApiTokenStore.MaxNameLength);
        // Revoked tokens keep their hash: a revoked secret can never be provisioned again.
        builder.Property(t => t.SecretHash).HasMaxLength(64);
        builder.HasIndex(t => t.SecretHash).IsUnique();
        builder.Property(t => t.Prefix).HasMaxLength(16);
        builder.PrimitiveCollection(t => t.Scopes);
        builder.Property(t => t.CreatedBy).HasMaxLength(256);
        builder.Property(t => t.RevokedBy).HasMaxLength(256);
        builder.Ignore(t => t.IsRevoked);
    }
}
