namespace Streamer.Stream.Host.Cli;

/// <summary>
/// A file a command writes (<c>--report</c>, <c>--csv</c>, <c>--out</c>): checked before the work
/// starts, so a backtest is not run to the end only to find it cannot save its result, and opened
/// with every failure as one line naming the option (a <see cref="CliException"/>, exit 2).
/// </summary>
internal static class OutputFile
{
    /// <summary>Throws naming <paramref name="option"/> unless <paramref name="path"/> can be written: not a directory, its directory there, writable. Leaves no file behind.</summary>
    public static void CheckWritable(string command, string option, string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw Error(command, option, path, "is a directory; give a file name");
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) throw Error(command, option, path, $"directory {dir} does not exist");
        bool existed = File.Exists(full);
        try
        {
            // opened for writing without truncating what is there; a probe file is removed at once
            using (new FileStream(full, existed ? FileMode.Open : FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error(command, option, path, $"cannot be written ({e.Message})");
        }
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> for writing; a failure is one line naming the option.</summary>
    public static FileStream Create(string command, string option, string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error(command, option, path, $"cannot be written ({e.Message})");
        }
    }

    private static CliException Error(string command, string option, string path, string what) => new($"streamer {command}: --{option} {path}: {what}");
}
