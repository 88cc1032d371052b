using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class UnionSchemaAndEventCatalog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SchemaAttributes",
                columns: table => new
                {
                    Path = table.Column<string>(type: "TEXT", nullable: false),
                    ProfileCount = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstSeenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastSeenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DetailJson = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaAttributes", x => x.Path);
                });

            migrationBuilder.CreateTable(
                name: "SchemaEvents",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstSeenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastSeenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DetailJson = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaEvents", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "SchemaProfiles",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    PathsJson = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaProfiles", x => x.ProfileId);
                });

            migrationBuilder.CreateTable(
                name: "SchemaState",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    EventCursor = table.Column<long>(type: "INTEGER", nullable: false),
                    LiveProfiles = table.Column<long>(type: "INTEGER", nullable: false),
                    RecountedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SchemaState", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SchemaAttributes");

            migrationBuilder.DropTable(
                name: "SchemaEvents");

            migrationBuilder.DropTable(
                name: "SchemaProfiles");

            migrationBuilder.DropTable(
                name: "SchemaState");
        }
    }
}
