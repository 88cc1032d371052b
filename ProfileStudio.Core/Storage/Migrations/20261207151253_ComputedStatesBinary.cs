using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ComputedStatesBinary : Migration
    {
        /// <summary>
        /// States are stored as compact bytes (AggregateState.Encode) instead of JSON text. The column is renamed and retyped
        /// (a table rebuild on SQLite that copies every row): rows keep their JSON text, which AggregateState.Decode reads,
        /// until their state is next written.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(name: "StateJson", table: "ComputedAttributeStates", newName: "State");
            migrationBuilder.AlterColumn<byte[]>(name: "State", table: "ComputedAttributeStates", type: "BLOB", nullable: false,
                oldClrType: typeof(string), oldType: "TEXT");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // States written as bytes cannot be read as JSON: they go, and a backfill of every active definition recomputes them.
            migrationBuilder.Sql("DELETE FROM ComputedAttributeStates");
            migrationBuilder.Sql("UPDATE ComputedAttributeDefinitions SET BackfillVersion = 0, BackfillCursor = 0, BackfillDone = 0 WHERE Status = 'Active' AND Function <> 'Expression'");
            migrationBuilder.AlterColumn<string>(name: "State", table: "ComputedAttributeStates", type: "TEXT", nullable: false,
                oldClrType: typeof(byte[]), oldType: "BLOB");
            migrationBuilder.RenameColumn(name: "State", table: "ComputedAttributeStates", newName: "StateJson");
        }
    }
}
