using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Segments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SegmentClockChecks",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    DueAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentClockChecks", x => new { x.ProfileId, x.SegmentId });
                });

            migrationBuilder.CreateTable(
                name: "SegmentDailySizes",
                columns: table => new
                {
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Entered = table.Column<long>(type: "INTEGER", nullable: false),
                    Exited = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentDailySizes", x => new { x.SegmentId, x.Day });
                });

            migrationBuilder.CreateTable(
                name: "SegmentMembershipChanges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentMembershipChanges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SegmentMemberships",
                columns: table => new
                {
                    ProfileId = table.Column<long>(type: "INTEGER", nullable: false),
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    Since = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentMemberships", x => new { x.ProfileId, x.SegmentId });
                });

            migrationBuilder.CreateTable(
                name: "Segments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false, collation: "NOCASE"),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Evaluation = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    BatchIntervalHours = table.Column<int>(type: "INTEGER", nullable: false),
                    RuleJson = table.Column<string>(type: "TEXT", maxLength: 262144, nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    LastEvaluatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    MemberCount = table.Column<long>(type: "INTEGER", nullable: false),
                    EvaluationRequestedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EvaluationStartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EvaluationProcessed = table.Column<long>(type: "INTEGER", nullable: false),
                    EvaluationTotal = table.Column<long>(type: "INTEGER", nullable: false),
                    EvaluationError = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Segments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SegmentVersions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    RuleJson = table.Column<string>(type: "TEXT", maxLength: 262144, nullable: false),
                    SavedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SavedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SegmentVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SegmentVersions_Segments_SegmentId",
                        column: x => x.SegmentId,
                        principalTable: "Segments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SegmentClockChecks_DueAt",
                table: "SegmentClockChecks",
                column: "DueAt");

            migrationBuilder.CreateIndex(
                name: "IX_SegmentClockChecks_SegmentId",
                table: "SegmentClockChecks",
                column: "SegmentId");

            migrationBuilder.CreateIndex(
                name: "IX_SegmentMembershipChanges_ProfileId",
                table: "SegmentMembershipChanges",
                column: "ProfileId");

            migrationBuilder.CreateIndex(
                name: "IX_SegmentMembershipChanges_SegmentId_At",
                table: "SegmentMembershipChanges",
                columns: new[] { "SegmentId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_SegmentMemberships_SegmentId_ProfileId",
                table: "SegmentMemberships",
                columns: new[] { "SegmentId", "ProfileId" });

            migrationBuilder.CreateIndex(
                name: "IX_Segments_Name",
                table: "Segments",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SegmentVersions_SegmentId_Version",
                table: "SegmentVersions",
                columns: new[] { "SegmentId", "Version" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SegmentClockChecks");

            migrationBuilder.DropTable(
                name: "SegmentDailySizes");

            migrationBuilder.DropTable(
                name: "SegmentMembershipChanges");

            migrationBuilder.DropTable(
                name: "SegmentMemberships");

            migrationBuilder.DropTable(
                name: "SegmentVersions");

            migrationBuilder.DropTable(
                name: "Segments");
        }
    }
}
