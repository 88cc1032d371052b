using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ProfileIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ProfileEvents_MessageId",
                table: "ProfileEvents");

            migrationBuilder.CreateIndex(
                name: "IX_Profiles_MergedIntoId",
                table: "Profiles",
                column: "MergedIntoId",
                filter: "\"MergedIntoId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Profiles_MergedIntoId",
                table: "Profiles");

            migrationBuilder.CreateIndex(
                name: "IX_ProfileEvents_MessageId",
                table: "ProfileEvents",
                column: "MessageId");
        }
    }
}
