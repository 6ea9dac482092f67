using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Streamer.Stream.Tests.Infrastructure;

/// <summary>
/// A real <c>nats-server -js</c> on a free loopback port with its own store directory. Can be
/// stopped and started again on the same port and store (outage tests); killed on dispose and,
/// as a last resort, when the test process exits, so no test leaves a server running.
/// </summary>
public sealed class NatsServerFixture : IDisposable
{
    private static readonly List<Process> Live = [];
    private readonly StringBuilder _log = new();
    private readonly string? _configFile;
    private readonly IReadOnlyDictionary<string, string>? _environment;
    private Process? _process;
    private bool _disposed;

    static NatsServerFixture()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Live)
                foreach (var p in Live) Kill(p);
        };
    }

    public NatsServerFixture()
        : this(null, null)
    {
    }

    /// <param name="configFile">a server configuration (<c>-c</c>); the port, address and store given here override its own.</param>
    /// <param name="environment">variables the configuration refers to (<c>$NAME</c>), e.g. passwords.</param>
    public NatsServerFixture(string? configFile, IReadOnlyDictionary<string, string>? environment)
    {
        _configFile = configFile;
        _environment = environment;
        Binary = FindBinary();
        StoreDirectory = Directory.CreateTempSubdirectory("streamer-nats-").FullName;
        // a free port can be taken by another process between the probe and the server's bind (parallel
        // test runs on a shared machine): the first start tries a fresh one; restarts keep theirs
        for (int attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                Start();
                return;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("address already in use", StringComparison.Ordinal))
            {
                lock (_log) _log.Clear();
            }
        }
    }

    public string Binary { get; }

    public int Port { get; private set; }

    public string StoreDirectory { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>what the server printed so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts the server (same port, same store) and waits until it is ready.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning) return;
        var ready = new ManualResetEventSlim();
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", StoreDirectory })
            psi.ArgumentList.Add(a);
        if (_configFile is not null)
        {
            // the file's own JetStream store is the deployment's: this server keeps its store in its temp directory
            var config = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(_configFile), @"store_dir:\s*""[^""]*""", $"store_dir: \"{StoreDirectory}\"");
            var copy = Path.Combine(StoreDirectory, "server.conf");
            File.WriteAllText(copy, config);
            psi.ArgumentList.Clear();
            foreach (var a in new[] { "-c", copy, "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
        }
        foreach (var (name, value) in _environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;
        var process = new Process { StartInfo = psi };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null) return;
            lock (_log) _log.AppendLine(e.Data);
            if (e.Data.Contains("Server is ready", StringComparison.Ordinal)) ready.Set();
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Start();
        lock (Live) Live.Add(process);
        _process = process;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!ready.Wait(50))
        {
            if (process.HasExited) throw new InvalidOperationException($"nats-server exited with {process.ExitCode} on port {Port}:\n{Log}");
            if (DateTime.UtcNow > deadline) { Stop(); throw new TimeoutException($"nats-server not ready on port {Port} in 20 s:\n{Log}"); }
        }
        WaitAcceptsConnections(deadline);
    }

    /// <summary>SIGSTOPs the server (it keeps its sockets and reads nothing: a hung server, not a dead one) until disposed (SIGCONT).</summary>
    public IDisposable Freeze()
    {
        var process = _process ?? throw new InvalidOperationException("the server is not running");
        Signal(process.Id, "STOP");
        return new Frozen(process.Id);
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private sealed class Frozen(int pid) : IDisposable
    {
        private int _thawed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _thawed, 1) == 0 && File.Exists($"/proc/{pid}/cmdline")) Signal(pid, "CONT");
        }
    }

    /// <summary>Kills the server (an outage, not a graceful shutdown) and waits until it is gone.</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        Kill(process);
        lock (Live) Live.Remove(process);
        process.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        Stop();
        _disposed = true;
        try
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
        catch (IOException)
        {
            // temp dir; not worth failing a test over
        }
    }

    private void WaitAcceptsConnections(DateTime deadline)
    {
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static string FindBinary()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Append("/usr/sbin").Append("/usr/local/bin"))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, "nats-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("nats-server not found on PATH or in /usr/sbin: run scripts/test.sh (it installs it) or apt-get install nats-server");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
