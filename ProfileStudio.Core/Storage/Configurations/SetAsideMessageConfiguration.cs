using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Ingestion;
using ProfileStudio.Core.Unification;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class SetAsideMessageConfiguration : IEntityTypeConfiguration<SetAsideMessage>
{
    public void Configure(EntityTypeBuilder<SetAsideMessage> builder)
    {
        builder.ToTable("SetAsideMessages");
        // The lake id is the key: the unification reader skips these rows with one primary-key probe per message.
        builder.HasKey(m => m.MessageId);
        builder.Property(m => m.MessageId).ValueGeneratedNever();
        builder.Property(m => m.Reason).HasMaxLength(2000);
        // An erased person's lake rows go, and their set-aside entries with them.
        builder.HasOne<RawMessage>().WithOne().HasForeignKey<SetAsideMessage>(m => m.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}
