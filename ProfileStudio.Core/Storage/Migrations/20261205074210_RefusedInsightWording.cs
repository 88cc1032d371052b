using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <summary>
    /// Insights recorded before refusals were worded "refused: {identifier} not linked ({reason})" said
    /// "{identifier} was set aside: {reason}", the words the Rejected messages page uses for messages
    /// unification could not process; the stored text is reworded so old and new refusals read alike.
    /// </summary>
    public partial class RefusedInsightWording : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // 16 = length(' was set aside: ')
            migrationBuilder.Sql("""
                UPDATE IdentityInsights
                SET Detail = 'refused: ' || substr(Detail, 1, instr(Detail, ' was set aside: ') - 1)
                    || ' not linked (' || substr(Detail, instr(Detail, ' was set aside: ') + 16) || ')'
                WHERE Kind = 'refused' AND instr(Detail, ' was set aside: ') > 0;
                UPDATE IdentityInsights SET Detail = 'every identifier was refused'
                WHERE Kind = 'unidentified' AND Detail = 'every identifier was set aside';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // 9 = length('refused: '), 13 = length(' not linked (')
            migrationBuilder.Sql("""
                UPDATE IdentityInsights
                SET Detail = substr(Detail, 10, instr(Detail, ' not linked (') - 10) || ' was set aside: '
                    || substr(Detail, instr(Detail, ' not linked (') + 13, length(Detail) - instr(Detail, ' not linked (') - 13)
                WHERE Kind = 'refused' AND Detail LIKE 'refused: %' AND instr(Detail, ' not linked (') > 0;
                UPDATE IdentityInsights SET Detail = 'every identifier was set aside'
                WHERE Kind = 'unidentified' AND Detail = 'every identifier was refused';
                """);
        }
    }
}
