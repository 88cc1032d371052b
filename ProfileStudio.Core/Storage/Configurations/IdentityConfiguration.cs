using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Profiles;

namespace ProfileStudio.Core.Storage.Configurations;

internal sealed class IdentityNamespaceConfiguration : IEntityTypeConfiguration<IdentityNamespace>
{
    public void Configure(EntityTypeBuilder<IdentityNamespace> builder)
    {
        builder.ToTable("IdentityNamespaces");
        builder.Property(n => n.Name).HasMaxLength(64);
        builder.HasIndex(n => n.Name).IsUnique();
        builder.PrimitiveCollection(n => n.BlockedValues);
        builder.PrimitiveCollection(n => n.BlockedPatterns);
        builder.PrimitiveCollection(n => n.TraitKeys);
        builder.Property(n => n.UpdatedBy).HasMaxLength(256);
        // Checked by the database too: of two saves from the same revision at the same moment, the second updates no row.
        builder.Property(n => n.Revision).IsConcurrencyToken();
    }
}

internal sealed class IdentityRecordConfiguration : IEntityTypeConfiguration<IdentityRecord>
{
    public void Configure(EntityTypeBuilder<IdentityRecord> builder)
    {
        builder.ToTable("Identities");
        builder.Property(i => i.Namespace).HasMaxLength(64);
        builder.HasIndex(i => new { i.Namespace, i.Value }).IsUnique();
        builder.HasIndex(i => i.ProfileId);
    }
}

internal sealed class IdentityLinkConfiguration : IEntityTypeConfiguration<IdentityLink>
{
    public void Configure(EntityTypeBuilder<IdentityLink> builder)
    {
        builder.ToTable("IdentityLinks");
        builder.HasIndex(l => new { l.FromIdentityId, l.ToIdentityId }).IsUnique();
        builder.HasIndex(l => l.ToIdentityId);
    }
}

internal sealed class NeverLinkRuleConfiguration : IEntityTypeConfiguration<NeverLinkRule>
{
    public void Configure(EntityTypeBuilder<NeverLinkRule> builder) => builder.ToTable("NeverLinkRules");
}

internal sealed class IdentityInsightConfiguration : IEntityTypeConfiguration<IdentityInsight>
{
    public void Configure(EntityTypeBuilder<IdentityInsight> builder)
    {
        builder.ToTable("IdentityInsights");
        builder.Property(i => i.Kind).HasMaxLength(32);
        builder.HasIndex(i => new { i.Kind, i.Id });
        builder.HasIndex(i => i.ProfileId);
        builder.HasIndex(i => i.At);
    }
}

internal sealed class ProfileConfiguration : IEntityTypeConfiguration<Profile>
{
    public void Configure(EntityTypeBuilder<Profile> builder)
    {
        builder.ToTable("Profiles");
        builder.Property(p => p.Id).ValueGeneratedNever(); // assigned by the identity graph
        // The explorer's "last activity" sort: people with activity by it, then those without (null) by first seen.
        builder.HasIndex(p => new { p.LastActivityAt, p.CreatedAt });
        // The explorer sorts by first seen, and the dashboard counts live profiles per first-seen day from a day on (for
        // every change-feed batch): with MergedIntoId beside it both read the index alone, not a row per profile.
        builder.HasIndex(p => new { p.CreatedAt, p.MergedIntoId });
        builder.HasIndex(p => p.MergedIntoId).HasFilter("\"MergedIntoId\" IS NOT NULL");
    }
}

internal sealed class ProfileAttributeConfiguration : IEntityTypeConfiguration<ProfileAttribute>
{
    public void Configure(EntityTypeBuilder<ProfileAttribute> builder)
    {
        builder.ToTable("ProfileAttributes");
        builder.HasKey(a => new { a.ProfileId, a.SourceId, a.Key });
        // No index on Key alone: every run writes this table, and the keys profiles have come from the union schema (Schema/).
    }
}

internal sealed class ProfileEventConfiguration : IEntityTypeConfiguration<ProfileEvent>
{
    public void Configure(EntityTypeBuilder<ProfileEvent> builder)
    {
        builder.ToTable("ProfileEvents");
        builder.HasIndex(e => new { e.ProfileId, e.EventAt });
    }
}

internal sealed class DeletedProfileConfiguration : IEntityTypeConfiguration<DeletedProfile>
{
    public void Configure(EntityTypeBuilder<DeletedProfile> builder)
    {
        builder.ToTable("DeletedProfiles");
        builder.Property(p => p.Id).ValueGeneratedNever();
    }
}

internal sealed class UnificationCheckpointConfiguration : IEntityTypeConfiguration<UnificationCheckpoint>
{
    public void Configure(EntityTypeBuilder<UnificationCheckpoint> builder)
    {
        builder.ToTable("UnificationCheckpoints");
        builder.Property(c => c.Id).ValueGeneratedNever();
    }
}

internal sealed class UnificationJobConfiguration : IEntityTypeConfiguration<ProfileStudio.Core.Unification.UnificationJob>
{
    public void Configure(EntityTypeBuilder<ProfileStudio.Core.Unification.UnificationJob> builder)
    {
        builder.ToTable("UnificationJobs");
        builder.Property(j => j.Kind).HasMaxLength(16);
        builder.Property(j => j.RequestedFromIp).HasMaxLength(64);
        builder.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(j => j.Status);
    }
}
