using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class RejectedOnlyIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RawMessages_BatchId_LineNumber",
                table: "RawMessages");

            migrationBuilder.DropIndex(
                name: "IX_RawMessages_Status_Id",
                table: "RawMessages");

            migrationBuilder.CreateIndex(
                name: "IX_RawMessages_Rejected",
                table: "RawMessages",
                columns: new[] { "Status", "Id" },
                filter: "\"Status\" = 2");

            migrationBuilder.CreateIndex(
                name: "IX_RawMessages_RejectedByFileLine",
                table: "RawMessages",
                columns: new[] { "BatchId", "LineNumber" },
                filter: "\"Status\" = 2");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RawMessages_Rejected",
                table: "RawMessages");

            migrationBuilder.DropIndex(
                name: "IX_RawMessages_RejectedByFileLine",
                table: "RawMessages");

            migrationBuilder.CreateIndex(
                name: "IX_RawMessages_BatchId_LineNumber",
                table: "RawMessages",
                columns: new[] { "BatchId", "LineNumber" });

            migrationBuilder.CreateIndex(
                name: "IX_RawMessages_Status_Id",
                table: "RawMessages",
                columns: new[] { "Status", "Id" });
        }
    }
}
