using System.Diagnostics;
using System.Text;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run …</c> as a child process (<c>dotnet streamer.dll</c>, the build next to the test
/// assembly), its output captured for failure messages. Killed on dispose if still running.
/// </summary>
internal sealed class StreamerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StreamerProcess(Process process) => _process = process;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "streamer.dll");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static StreamerProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    public static StreamerProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        if (!File.Exists(Dll)) throw new FileNotFoundException($"streamer.dll not found next to the tests ({Dll})");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // `run` serves a dashboard on 127.0.0.1:8088 by default: tests run in parallel, so none unless a test asks for one
        if (args.Length > 0 && args[0] == "run" && !args.Any(a => a.StartsWith("--Dashboard:", StringComparison.OrdinalIgnoreCase)))
            psi.ArgumentList.Add("--Dashboard:Enabled=false");
        // settings come from the arguments only
        foreach (var key in psi.Environment.Keys.Where(k => (k.Contains("__", StringComparison.Ordinal) && !k.StartsWith("DOTNET", StringComparison.Ordinal)) || k.StartsWith("APCA_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi };
        var sp = new StreamerProcess(p);
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null) return;
            lock (sp._output) sp._output.AppendLine(e.Data);
        };
        p.OutputDataReceived += onLine;
        p.ErrorDataReceived += onLine;
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return sp;
    }

    /// <summary>Runs to the end and returns the exit code with everything printed.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string workingDirectory, params string[] args)
    {
        using var p = Start(workingDirectory, args);
        var code = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, p.Output);
    }

    /// <summary>As <see cref="RunAsync(string, string[])"/>, with environment variables set for the child.</summary>
    public static async Task<(int Code, string Output)> RunWithAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var p = Start(workingDirectory, environment, args);
        var code = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, p.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"streamer run did not exit within {timeout.TotalSeconds} s; output:\n{Output}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>
    /// Waits for <paramref name="condition"/> while the service runs (40 s unless told); a timeout or a service that
    /// stopped fails with everything it printed (and <paramref name="debug"/>'s text).
    /// </summary>
    public async Task UntilAsync(Func<bool> condition, string what, Func<string>? debug = null, TimeSpan? timeout = null)
    {
        try
        {
            await Streamer.Stream.Tests.Infrastructure.Waits.UntilAsync(() => condition() || HasExited, what, timeout ?? TimeSpan.FromSeconds(40));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; service output:\n{Output}\n{debug?.Invoke()}", e);
        }
        Assert.False(HasExited, $"{what}: the service stopped:\n{Output}");
    }

    /// <summary>kill -9 (a crash: nothing runs on the way out).</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, what a service manager sends to stop it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) Crash();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
