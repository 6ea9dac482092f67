using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Streamer.Stream.Tests.Emulator;

/// <summary>
/// `streamer emulate` as its own process on a loopback port, driven by a script in tests/clients
/// that uses Alpaca's official Node SDK (@alpacahq/alpaca-trade-api, pinned in its package.json).
/// The script prints one JSON object; its <c>violations</c> list every wire field that does not
/// match Alpaca's documented shape (tests/clients/lib/emulator.js).
/// </summary>
internal static partial class SdkClients
{
    [GeneratedRegex(@"Alpaca:DataUrl=ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex PortLine();

    /// <summary>tests/clients, with its npm dependencies installed (scripts/test.sh runs <c>npm ci</c> when they are missing).</summary>
    public static string ClientsDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var clients = Path.Combine(dir.FullName, "tests", "clients");
                if (File.Exists(Path.Combine(dir.FullName, "Streamer.sln")) && Directory.Exists(clients))
                {
                    if (!Directory.Exists(Path.Combine(clients, "node_modules", "@alpacahq", "alpaca-trade-api")))
                        Assert.Fail($"the Node SDK is not installed: run `npm ci --prefix {clients}` (scripts/test.sh does it when npm is available)");
                    return clients;
                }
            }
            Assert.Fail("tests/clients not found above " + AppContext.BaseDirectory);
            return "";
        }
    }

    /// <summary>Writes the tape, starts `streamer emulate --ticks tape --key K --secret S` plus <paramref name="args"/>, returns the process and its port.</summary>
    public static async Task<(Process Process, int Port)> StartEmulatorAsync(string tape, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "streamer.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "emulate", "--ticks", tape, "--key", "K", "--secret", "S" }.Concat(args)) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cts.Token)
                ?? throw new InvalidOperationException($"emulate exited: {await process.StandardError.ReadToEndAsync(cts.Token)}");
            if (PortLine().Match(line) is { Success: true } m) return (process, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Runs <c>node script</c> against the emulator on <paramref name="port"/>; returns its JSON (the test fails on a non-zero exit, with what it printed).</summary>
    public static async Task<JsonElement> RunAsync(string script, int port, IReadOnlyDictionary<string, string> env, TimeSpan timeout)
    {
        var dir = ClientsDirectory;
        var psi = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.Environment["STREAMER_EMULATOR_URL"] = $"http://127.0.0.1:{port}";
        psi.Environment["APCA_API_KEY_ID"] = "K";
        psi.Environment["APCA_API_SECRET_KEY"] = "S";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        Process node;
        try
        {
            node = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"node is not installed ({e.Message}); these tests need Node 20+");
            throw;
        }
        using (node)
        {
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await node.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
                Assert.Fail($"node {script} timed out after {timeout}: {await stderr}");
            }
            string text = await stdout;
            if (node.ExitCode != 0) Assert.Fail($"node {script} exited {node.ExitCode}: {text}\n{await stderr}");
            using var doc = JsonDocument.Parse(text);
            var result = doc.RootElement.Clone();
            var violations = result.GetProperty("violations").EnumerateArray().Select(v => v.GetString()).ToList();
            Assert.True(violations.Count == 0, "wire shapes differ from Alpaca's:\n" + string.Join('\n', violations));
            return result;
        }
    }

    public static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>RFC 3339 → ns since the epoch (up to 9 fractional digits).</summary>
    public static long Ns(string rfc3339)
    {
        var m = Regex.Match(rfc3339, @"^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$");
        Assert.True(m.Success, $"not a UTC RFC 3339 time: {rfc3339}");
        var seconds = DateTime.ParseExact(m.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        long fraction = m.Groups[2].Success ? long.Parse(m.Groups[2].Value.PadRight(9, '0'), CultureInfo.InvariantCulture) : 0;
        return (seconds.Ticks - DateTime.UnixEpoch.Ticks) * 100 + fraction;
    }

    public static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static string WriteTape(IEnumerable<string> rows)
    {
        var tape = Path.Combine(Path.GetTempPath(), $"sdk-tape-{Guid.NewGuid():N}.csv");
        File.WriteAllText(tape, "time,symbol,bid,ask,last\n" + string.Join('\n', rows) + "\n", Encoding.ASCII);
        return tape;
    }
}
