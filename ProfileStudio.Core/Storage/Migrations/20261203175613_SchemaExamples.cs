using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class SchemaExamples : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SchemaEventExamples",
                columns: table => new
                {
                    EventKey = table.Column<string>(type: "TEXT", nullable: false),
                    Path = table.Column<string>(type: "TEXT", nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false),
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaEventExamples", x => new { x.EventKey, x.Path, x.Value });
                });

            migrationBuilder.CreateTable(
                name: "SchemaExamples",
                columns: table => new
                {
                    Path = table.Column<string>(type: "TEXT", nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false),
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaExamples", x => new { x.Path, x.Value });
                });

            migrationBuilder.CreateIndex(
                name: "IX_SchemaEventExamples_ProfileId",
                table: "SchemaEventExamples",
                column: "ProfileId");

            migrationBuilder.CreateIndex(
                name: "IX_SchemaExamples_ProfileId",
                table: "SchemaExamples",
                column: "ProfileId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SchemaEventExamples");

            migrationBuilder.DropTable(
                name: "SchemaExamples");
        }
    }
}
