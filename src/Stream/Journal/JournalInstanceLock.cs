using System.Globalization;

namespace Streamer.Stream.Journal;

/// <summary>
/// One service per journal: an exclusive lock on <c>&lt;journal&gt;.lock</c>, held for the life of
/// the service (the OS drops it when the process dies, kill -9 included). A second <c>streamer
/// run</c> on the same journal would decide every exit a second time, so it is refused at start,
/// naming the process that holds it (<c>&lt;journal&gt;.owner</c>). Readers (tests, tools) open the
/// journal itself, which SQLite lets them share.
/// </summary>
public sealed class JournalInstanceLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _ownerFile;

    private JournalInstanceLock(FileStream held, string ownerFile)
    {
        _lock = held;
        _ownerFile = ownerFile;
    }

    /// <summary>Takes the lock or throws <see cref="InvalidOperationException"/> ("journal …: in use by …").</summary>
    public static JournalInstanceLock Acquire(string journalPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalPath);
        var full = Path.GetFullPath(journalPath);
        var dir = Path.GetDirectoryName(full);
        if (dir is not null) Directory.CreateDirectory(dir);
        string ownerFile = full + ".owner";
        FileStream held;
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix: a second holder fails at once
            held = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            string owner = "";
            try { owner = File.ReadAllText(ownerFile).Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new InvalidOperationException(
                $"journal {full}: in use by another streamer{(owner.Length > 0 ? $" ({owner})" : "")}: one journal, one service. Stop that one, or give this one its own Journal:Path", e);
        }
        File.WriteAllText(ownerFile, string.Create(CultureInfo.InvariantCulture,
            $"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
        return new JournalInstanceLock(held, ownerFile);
    }

    public void Dispose()
    {
        try { File.Delete(_ownerFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _lock.Dispose();
    }
}
