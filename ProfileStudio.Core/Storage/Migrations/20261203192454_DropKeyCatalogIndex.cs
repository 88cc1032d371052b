using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class DropKeyCatalogIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ProfileAttributes_KeyCatalog",
                table: "ProfileAttributes");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_ProfileAttributes_KeyCatalog",
                table: "ProfileAttributes",
                columns: new[] { "Key", "ProfileId" },
                filter: "\"ProfileId\" > 0");
        }
    }
}
