using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <summary>
    /// Segment event conditions count track events only (a page or screen view named as an event no longer performs it), so
    /// memberships recorded before may hold people the rules no longer admit: every active segment is evaluated again in full,
    /// as "evaluate now" would ask (the batch job takes them one at a time; members stay as they are until then).
    /// </summary>
    public partial class SegmentsTrackEventsOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                UPDATE Segments SET EvaluationRequestedAt = strftime('%Y-%m-%d %H:%M:%f', 'now')
                WHERE Status = 'Active';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Nothing to undo: an evaluation asked for is done once.
        }
    }
}
