using System.Text;

namespace ProfileStudio.Profiles;

/// <summary>
/// The names of a list parameter (<c>include</c>, <c>exclude</c>): comma-separated, as Segment's Profile API takes them, and
/// repeated parameters add to the list. A name holding a comma goes in double quotes, a quote in it doubled, as in CSV
/// (<c>include="Foo, Bar",Baz</c>): ingestion accepts event names with commas, and a plain split left no way to ask for one.
/// </summary>
public static class QueryLists
{
    /// <summary>Why <paramref name="list"/> cannot be read (a double quote left open), or null.</summary>
    public static string? Problem(string? list, string parameter)
    {
        Read(list, out var unclosed);
        return unclosed
            ? $"{parameter} has a double quote that is not closed: a name in double quotes ends with another one (\"Foo, Bar\"), and a quote inside it is doubled."
            : null;
    }

    public static HashSet<string> Names(string? list) => Read(list, out _);

    private static HashSet<string> Read(string? list, out bool unclosed)
    {
        unclosed = false;
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (list is null)
        {
            return names;
        }
        var at = 0;
        while (at <= list.Length)
        {
            while (at < list.Length && list[at] == ' ')
            {
                at++;
            }
            string name;
            if (at < list.Length && list[at] == '"')
            {
                var quoted = new StringBuilder();
                var closed = false;
                at++;
                while (at < list.Length)
                {
                    if (list[at] == '"')
                    {
                        if (at + 1 < list.Length && list[at + 1] == '"')
                        {
                            quoted.Append('"');
                            at += 2;
                            continue;
                        }
                        at++;
                        closed = true;
                        break;
                    }
                    quoted.Append(list[at++]);
                }
                unclosed |= !closed;
                name = quoted.ToString();
                var comma = list.IndexOf(',', at);
                at = comma < 0 ? list.Length : comma; // anything between the closing quote and the comma is not part of a name
            }
            else
            {
                var comma = list.IndexOf(',', at);
                var end = comma < 0 ? list.Length : comma;
                name = list[at..end].Trim();
                at = end;
            }
            if (name.Length > 0)
            {
                names.Add(name);
            }
            at++; // past the comma
        }
        return names;
    }
}
