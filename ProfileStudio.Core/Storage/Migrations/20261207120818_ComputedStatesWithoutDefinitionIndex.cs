using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ComputedStatesWithoutDefinitionIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ComputedAttributeStates_DefinitionId_ProfileId",
                table: "ComputedAttributeStates");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_ComputedAttributeStates_DefinitionId_ProfileId",
                table: "ComputedAttributeStates",
                columns: new[] { "DefinitionId", "ProfileId" });
        }
    }
}
