using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ComputedProfileRows : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Per-definition rows cannot become a profile's one row in SQL (its entries are bytes): the states go, and a backfill of every
            // active aggregate definition computes them again from the timelines (its progress shows on the attribute's page).
            migrationBuilder.Sql("UPDATE ComputedAttributeDefinitions SET BackfillVersion = 0, BackfillCursor = 0, BackfillDone = 0 WHERE Status = 'Active' AND Function <> 'Expression'");

            migrationBuilder.DropTable(
                name: "ComputedAttributeStates");

            // A rebuild stopped before its swap left a shadow copy that the rebuild's register no longer names.
            migrationBuilder.Sql("DROP TABLE IF EXISTS \"Rebuild_ComputedAttributeStates\"");

            migrationBuilder.CreateTable(
                name: "ComputedProfileStates",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    Entries = table.Column<byte[]>(type: "BLOB", nullable: false),
                    NextExpiryAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ComputedProfileStates", x => x.ProfileId);
                });

            migrationBuilder.CreateTable(
                name: "ComputedStateParts",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    MergedFromId = table.Column<long>(type: "INTEGER", nullable: false),
                    Entries = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ComputedStateParts", x => new { x.ProfileId, x.MergedFromId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_ComputedProfileStates_NextExpiryAt",
                table: "ComputedProfileStates",
                column: "NextExpiryAt",
                filter: "\"NextExpiryAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // A profile's one row cannot become per-definition rows in SQL: the states go, and a backfill of every
            // active aggregate definition computes them again from the timelines (its progress shows on the attribute's page).
            migrationBuilder.Sql("UPDATE ComputedAttributeDefinitions SET BackfillVersion = 0, BackfillCursor = 0, BackfillDone = 0 WHERE Status = 'Active' AND Function <> 'Expression'");

            migrationBuilder.DropTable(
                name: "ComputedProfileStates");

            migrationBuilder.DropTable(
                name: "ComputedStateParts");

            migrationBuilder.CreateTable(
                name: "ComputedAttributeStates",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    DefinitionId = table.Column<int>(type: "INTEGER", nullable: false),
                    MergedFromId = table.Column<long>(type: "INTEGER", nullable: false),
                    ComputedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    NextExpiryAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    State = table.Column<byte[]>(type: "BLOB", nullable: false),
                    ValueJson = table.Column<string>(type: "TEXT", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ComputedAttributeStates", x => new { x.ProfileId, x.DefinitionId, x.MergedFromId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_ComputedAttributeStates_NextExpiryAt",
                table: "ComputedAttributeStates",
                column: "NextExpiryAt",
                filter: "\"NextExpiryAt\" IS NOT NULL");
        }
    }
}
