using System.Globalization;

namespace ProfileStudio.Hosting;

/// <summary>
/// Cells of the CSV files the studio hands out (segment members, rejected rows), made safe to open in a spreadsheet:
/// a cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return is read by Excel, Sheets and
/// Calc as a formula, and the values come from tracking calls and uploaded files (anyone holding a public write key can
/// send <c>=HYPERLINK(…)</c> as a trait). Such a cell gets a leading <c>'</c>, which spreadsheets show as text (OWASP's
/// advice for CSV injection). A plain number (<c>-12.5</c>) is left as it is: it is no formula, and a column of numbers
/// stays a column of numbers.
/// </summary>
public static class SpreadsheetSafe
{
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    public static string? Cell(string? value)
    {
        if (string.IsNullOrEmpty(value) || Array.IndexOf(FormulaStarts, value[0]) < 0
            || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !value.Contains('\t') && !value.Contains('\r'))
        {
            return value;
        }
        return "'" + value;
    }
}
