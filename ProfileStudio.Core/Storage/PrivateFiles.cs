namespace ProfileStudio.Core.Storage;

/// <summary>
/// The data directory holds personal data (the database, uploaded files) and secrets (data-protection
/// keys): on Unix its folders are created 0700 and its files 0600, readable by the service's user only,
/// whatever the process umask. Modes of files that exist already (an older install) are tightened at start.
/// Windows keeps the folder's inherited ACLs.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The SQLite files beside the database; SQLite gives -wal and -shm the database file's mode.</summary>
    private static readonly string[] DatabaseSuffixes = ["", "-wal", "-shm", "-journal"];

    public static DirectoryInfo CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }
        var folder = Directory.CreateDirectory(path, FolderMode);
        if (folder.UnixFileMode != FolderMode)
        {
            File.SetUnixFileMode(path, FolderMode);
        }
        return folder;
    }

    /// <summary>Options for a new file that only the owner may read (0600 on Unix).</summary>
    public static FileStreamOptions NewFile(bool useAsync = true)
    {
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            Options = useAsync ? FileOptions.Asynchronous : FileOptions.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        return options;
    }

    /// <summary>Sets an existing file to 0600 (no-op when it is missing or on Windows).</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && File.GetUnixFileMode(path) != FileMode)
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }

    /// <summary>
    /// Before SQLite opens the database: the folder 0700, the database files created empty with 0600 (an
    /// empty file is an empty database; SQLite would create it 0644 and its -wal/-shm after it), and the
    /// files of an existing install tightened.
    /// </summary>
    public static void PrepareDataDirectory(string dataDirectory)
    {
        CreateDirectory(dataDirectory);
        // The store and the change-feed consumers' own files beside it (Sqlite.SqliteConsumerTables).
        foreach (var name in new[] { SqliteDatabase.FileName, SqliteDatabase.ConsumersFileName, SqliteDatabase.SegmentsFileName })
        {
            var database = Path.Combine(dataDirectory, name);
            if (!File.Exists(database))
            {
                try
                {
                    using (new FileStream(database, NewFile(useAsync: false)))
                    {
                    }
                }
                catch (IOException) when (File.Exists(database))
                {
                    // Created by another start in the same process (tests) a moment ago.
                }
            }
            foreach (var suffix in DatabaseSuffixes)
            {
                Restrict(database + suffix);
            }
        }
        foreach (var folder in new[] { "uploads", "keys" })
        {
            var path = Path.Combine(dataDirectory, folder);
            if (Directory.Exists(path))
            {
                CreateDirectory(path);
                foreach (var file in Directory.EnumerateFiles(path))
                {
                    Restrict(file);
                }
            }
        }
    }
}
