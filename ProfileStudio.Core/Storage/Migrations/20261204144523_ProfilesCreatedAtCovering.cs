using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ProfilesCreatedAtCovering : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Profiles_CreatedAt",
                table: "Profiles");

            migrationBuilder.CreateIndex(
                name: "IX_Profiles_CreatedAt_MergedIntoId",
                table: "Profiles",
                columns: new[] { "CreatedAt", "MergedIntoId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Profiles_CreatedAt_MergedIntoId",
                table: "Profiles");

            migrationBuilder.CreateIndex(
                name: "IX_Profiles_CreatedAt",
                table: "Profiles",
                column: "CreatedAt");
        }
    }
}
