using System.Data.Common;

namespace ProfileStudio.Tests.Support;

/// <summary>SQLite's plan of a statement, for tests that hold a query to its index.</summary>
internal static class QueryPlans
{
    /// <summary>
    /// The steps of <paramref name="command"/>'s plan (the detail column of <c>EXPLAIN QUERY PLAN</c>, e.g. "SEARCH Identities USING
    /// INDEX …"): its text is prefixed here, its parameters are used as they are.
    /// </summary>
    public static async Task<List<string>> StepsAsync(DbCommand command)
    {
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }
        return plan;
    }
}
