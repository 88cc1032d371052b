using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ComputedAttributes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ComputedAttributeDefinitions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Function = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    EventNamesJson = table.Column<string>(type: "TEXT", nullable: false),
                    PropertyPath = table.Column<string>(type: "TEXT", nullable: true),
                    ConditionsJson = table.Column<string>(type: "TEXT", nullable: false),
                    WindowUnit = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    WindowSize = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", nullable: false),
                    BackfillVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    BackfillCursor = table.Column<long>(type: "INTEGER", nullable: false),
                    BackfillDone = table.Column<bool>(type: "INTEGER", nullable: false),
                    BackfillTotal = table.Column<long>(type: "INTEGER", nullable: false),
                    BackfillProcessed = table.Column<long>(type: "INTEGER", nullable: false),
                    BackfillStartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    BackfillFinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    BackfillError = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ComputedAttributeDefinitions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ComputedAttributeStates",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    DefinitionId = table.Column<int>(type: "INTEGER", nullable: false),
                    MergedFromId = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    StateJson = table.Column<string>(type: "TEXT", nullable: false),
                    ValueJson = table.Column<string>(type: "TEXT", nullable: true),
                    ComputedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    NextExpiryAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ComputedAttributeStates", x => new { x.ProfileId, x.DefinitionId, x.MergedFromId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_ComputedAttributeDefinitions_Name",
                table: "ComputedAttributeDefinitions",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ComputedAttributeStates_DefinitionId_ProfileId",
                table: "ComputedAttributeStates",
                columns: new[] { "DefinitionId", "ProfileId" });

            migrationBuilder.CreateIndex(
                name: "IX_ComputedAttributeStates_NextExpiryAt",
                table: "ComputedAttributeStates",
                column: "NextExpiryAt",
                filter: "\"NextExpiryAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ComputedAttributeDefinitions");

            migrationBuilder.DropTable(
                name: "ComputedAttributeStates");
        }
    }
}
