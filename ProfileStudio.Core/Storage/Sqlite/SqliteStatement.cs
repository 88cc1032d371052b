using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ProfileStudio.Core.Storage.Sqlite;

/// <summary>
/// A statement prepared once on a connection and bound by position through SQLitePCLRaw, the
/// library under Microsoft.Data.Sqlite, for writers that run it hundreds of thousands of times.
/// Microsoft.Data.Sqlite looks every parameter up by name on every execution (a linear scan in
/// SQLite), which cost the unification writer more than the writes themselves. Values are stored
/// exactly as Microsoft.Data.Sqlite stores them (a <see cref="DateTime"/> as its invariant text), so
/// EF Core reads them back unchanged (like Microsoft.Data.Sqlite, a time's kind is not converted:
/// pass UTC). It runs inside whatever transaction the connection has open and, unlike
/// Microsoft.Data.Sqlite, does not wait out SQLITE_BUSY: use it in a write transaction already begun
/// (BEGIN IMMEDIATE, which Microsoft.Data.Sqlite's BeginTransaction issues), where there is none.
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        _connection = connection;
        _db = connection.Handle ?? throw new InvalidOperationException("The connection must be open.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(_db, sql, out _statement, out var tail), _db);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            _statement.Dispose();
            throw new ArgumentException($"One statement only; this text follows the first: {tail.Trim()}", nameof(sql));
        }
    }

    /// <summary>The text Microsoft.Data.Sqlite stores for a <see cref="DateTime"/>.</summary>
    public static string Text(DateTime value) => value.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", CultureInfo.InvariantCulture);

    public SqliteStatement Bind(int position, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, position, value));
        return this;
    }

    public SqliteStatement Bind(int position, long? value) => value is { } v ? Bind(position, v) : BindNull(position);

    public SqliteStatement Bind(int position, bool value) => Bind(position, value ? 1L : 0L);

    /// <summary>
    /// Binds text as UTF-8 encoded into a buffer reused per thread (SQLite copies it), the bytes SQLitePCLRaw's string
    /// overload would make (Encoding.UTF8, invalid surrogates replaced) without a new array per value.
    /// </summary>
    public SqliteStatement Bind(int position, string? value)
    {
        if (value is null)
        {
            return BindNull(position);
        }
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > MaxBufferedText)
        {
            Check(raw.sqlite3_bind_text(_statement, position, value));
            return this;
        }
        var buffer = _textBuffer is { } b && b.Length >= max ? b : _textBuffer = new byte[Math.Max(max, 1024)];
        var length = Encoding.UTF8.GetBytes(value, buffer);
        Check(raw.sqlite3_bind_text(_statement, position, new ReadOnlySpan<byte>(buffer, 0, length)));
        return this;
    }

    /// <summary>Binds bytes as a blob (SQLite copies them: a buffer reused by the caller is free again when this returns).</summary>
    public SqliteStatement Bind(int position, ReadOnlySpan<byte> value)
    {
        Check(raw.sqlite3_bind_blob(_statement, position, value));
        return this;
    }

    /// <summary>Binds a time as the text <see cref="Text"/> gives, written straight into UTF-8.</summary>
    public SqliteStatement Bind(int position, DateTime value)
    {
        Span<byte> utf8 = stackalloc byte[MaxTimeBytes];
        Check(raw.sqlite3_bind_text(_statement, position, utf8[..WriteText(value, utf8)]));
        return this;
    }

    /// <summary>Texts longer than this (in UTF-8 bytes at most) are bound through SQLitePCLRaw's own conversion.</summary>
    private const int MaxBufferedText = 1 << 20;

    [ThreadStatic]
    private static byte[]? _textBuffer;

    private const int MaxTimeBytes = 27;

    /// <summary>
    /// Writes <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> (the fraction's trailing zeros dropped, and the dot with them when
    /// it is zero), as <see cref="Text"/> formats it; returns the bytes written.
    /// </summary>
    internal static int WriteText(DateTime value, Span<byte> utf8)
    {
        Digits(utf8[..4], value.Year);
        utf8[4] = (byte)'-';
        Digits(utf8.Slice(5, 2), value.Month);
        utf8[7] = (byte)'-';
        Digits(utf8.Slice(8, 2), value.Day);
        utf8[10] = (byte)' ';
        Digits(utf8.Slice(11, 2), value.Hour);
        utf8[13] = (byte)':';
        Digits(utf8.Slice(14, 2), value.Minute);
        utf8[16] = (byte)':';
        Digits(utf8.Slice(17, 2), value.Second);
        var fraction = (int)(value.Ticks % TimeSpan.TicksPerSecond);
        if (fraction == 0)
        {
            return 19;
        }
        utf8[19] = (byte)'.';
        Digits(utf8.Slice(20, 7), fraction);
        var end = 27;
        while (utf8[end - 1] == (byte)'0')
        {
            end--;
        }
        return end;
    }

    /// <summary>
    /// Reads a time stored as <see cref="Text"/> writes it (UTC), several times faster than the general parse
    /// Microsoft.Data.Sqlite's GetDateTime does; false for any other text, which the caller reads the general way.
    /// </summary>
    public static bool TryParseText(ReadOnlySpan<char> text, out DateTime value)
    {
        value = default;
        if (text.Length is not (19 or (>= 21 and <= 27)) || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':'
            || (text.Length > 19 && text[19] != '.'))
        {
            return false;
        }
        if (!Number(text[..4], out var year) || !Number(text.Slice(5, 2), out var month) || !Number(text.Slice(8, 2), out var day)
            || !Number(text.Slice(11, 2), out var hour) || !Number(text.Slice(14, 2), out var minute) || !Number(text.Slice(17, 2), out var second))
        {
            return false;
        }
        var fraction = 0;
        if (text.Length > 19)
        {
            if (!Number(text[20..], out fraction))
            {
                return false;
            }
            for (var i = text.Length - 20; i < 7; i++)
            {
                fraction *= 10;
            }
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction);
        return true;
    }

    private static bool Number(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    public SqliteStatement Bind(int position, DateTime? value) => value is { } v ? Bind(position, v) : BindNull(position);

    public SqliteStatement BindNull(int position)
    {
        Check(raw.sqlite3_bind_null(_statement, position));
        return this;
    }

    /// <summary>Runs the statement to its end; returns how many rows it changed.</summary>
    public int Execute()
    {
        var rc = Step();
        while (rc == raw.SQLITE_ROW)
        {
            rc = Step();
        }
        return raw.sqlite3_changes(_db);
    }

    private int Step()
    {
        if (!ReferenceEquals(_connection.Handle, _db))
        {
            // Closed (and maybe handed to someone else by the pool) since this statement was prepared.
            throw new InvalidOperationException("The connection this statement was prepared on has been closed.");
        }
        var rc = raw.sqlite3_step(_statement);
        if (rc is raw.SQLITE_ROW)
        {
            return rc;
        }
        // Reset at the end, whether it succeeded or not, so the statement can run again; an error is reported by reset too.
        var reset = raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc != raw.SQLITE_ERROR ? rc : reset, _db);
        }
        return rc;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose() => _statement.Dispose();
}
