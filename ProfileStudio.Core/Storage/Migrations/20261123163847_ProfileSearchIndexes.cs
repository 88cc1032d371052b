using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ProfileSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Profiles_CreatedAt",
                table: "Profiles",
                column: "CreatedAt");

            // Name and e-mail prefix search in the explorer (ASCII case-insensitive, like SQLite's lower()):
            // a partial expression index, so only these keys cost anything when unification writes attributes.
            migrationBuilder.Sql(
                "CREATE INDEX \"IX_ProfileAttributes_NameSearch\" ON \"ProfileAttributes\" (lower(\"ValueJson\")) " +
                "WHERE \"Key\" IN ('name', 'firstName', 'lastName', 'first_name', 'last_name', 'email')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_ProfileAttributes_NameSearch\"");

            migrationBuilder.DropIndex(
                name: "IX_Profiles_CreatedAt",
                table: "Profiles");
        }
    }
}
