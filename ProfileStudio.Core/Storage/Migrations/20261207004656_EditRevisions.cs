using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class EditRevisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every saved change raises Revision; editors send back the one they loaded, and a save from a stale editor is refused.
            // Rows saved before start at 1, as new ones do.
            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "Segments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "ComputedAttributeDefinitions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Revision",
                table: "Segments");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "ComputedAttributeDefinitions");
        }
    }
}
