using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ProfileLastActivityKeyCatalogDuplicates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Profiles_UpdatedAt",
                table: "Profiles");

            migrationBuilder.AddColumn<DateTime>(
                name: "LastActivityAt",
                table: "Profiles",
                type: "TEXT",
                nullable: true);

            // First seen and last activity from the stored event times (import times in databases unified before
            // session 4), before the new column is indexed.
            migrationBuilder.Sql(Sql.ProfileTimesSql.RecomputeProfileTimes());

            migrationBuilder.AddColumn<long>(
                name: "RowsDuplicate",
                table: "FileBatches",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateIndex(
                name: "IX_Profiles_LastActivityAt_CreatedAt",
                table: "Profiles",
                columns: new[] { "LastActivityAt", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProfileAttributes_KeyCatalog",
                table: "ProfileAttributes",
                columns: new[] { "Key", "ProfileId" },
                filter: "\"ProfileId\" > 0");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Profiles_LastActivityAt_CreatedAt",
                table: "Profiles");

            migrationBuilder.DropIndex(
                name: "IX_ProfileAttributes_KeyCatalog",
                table: "ProfileAttributes");

            migrationBuilder.DropColumn(
                name: "LastActivityAt",
                table: "Profiles");

            migrationBuilder.DropColumn(
                name: "RowsDuplicate",
                table: "FileBatches");

            migrationBuilder.CreateIndex(
                name: "IX_Profiles_UpdatedAt",
                table: "Profiles",
                column: "UpdatedAt");
        }
    }
}
