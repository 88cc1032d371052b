using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AuditActionsPastTense : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Segment and computed-attribute entries were named in the present tense ("segment.create") beside every other
            // action's past tense ("merge_policy.created"); the audit log's filter and chips now read one way.
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.created' WHERE Action = 'segment.create'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.updated' WHERE Action = 'segment.update'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.activated' WHERE Action = 'segment.activate'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.disabled' WHERE Action = 'segment.disable'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.deleted' WHERE Action = 'segment.delete'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.evaluation_requested' WHERE Action = 'segment.evaluate'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.created' WHERE Action = 'computed_attribute.create'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.updated' WHERE Action = 'computed_attribute.update'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.deleted' WHERE Action = 'computed_attribute.delete'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.activated' WHERE Action = 'computed_attribute.activate'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.disabled' WHERE Action = 'computed_attribute.disable'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.create' WHERE Action = 'segment.created'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.update' WHERE Action = 'segment.updated'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.activate' WHERE Action = 'segment.activated'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.disable' WHERE Action = 'segment.disabled'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.delete' WHERE Action = 'segment.deleted'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'segment.evaluate' WHERE Action = 'segment.evaluation_requested'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.create' WHERE Action = 'computed_attribute.created'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.update' WHERE Action = 'computed_attribute.updated'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.delete' WHERE Action = 'computed_attribute.deleted'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.activate' WHERE Action = 'computed_attribute.activated'");
            migrationBuilder.Sql("UPDATE AuditEntries SET Action = 'computed_attribute.disable' WHERE Action = 'computed_attribute.disabled'");
        }
    }
}
