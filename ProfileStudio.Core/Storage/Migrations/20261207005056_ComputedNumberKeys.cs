using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <summary>
    /// Value keys of computed states were a number's text as sent (1, 1.0 and 1e0 were three values); they are now its
    /// canonical text (JsonNumberText). Stored states still hold the old keys, which no merge would ever join, so the active
    /// definitions that keep values (most_frequent, count_distinct, distinct, first, last) are backfilled again from their
    /// events, as an edit that changes what they compute would be (each profile's stored value is served until then).
    /// </summary>
    public partial class ComputedNumberKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                UPDATE ComputedAttributeDefinitions
                SET BackfillVersion = Version, BackfillCursor = 0, BackfillDone = 0, BackfillProcessed = 0, BackfillTotal = 0,
                    BackfillStartedAt = NULL, BackfillFinishedAt = NULL, BackfillError = NULL
                WHERE Status = 'Active' AND Function IN ('MostFrequent', 'CountDistinct', 'Distinct', 'First', 'Last');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Nothing to undo: states recomputed with canonical keys read as before (an older build keys new events as sent).
        }
    }
}
