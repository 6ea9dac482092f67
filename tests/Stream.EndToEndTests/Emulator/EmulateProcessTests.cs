using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Tests.Emulator;

// `streamer emulate` as its own process, fed a CSV tape, read by the production client
public sealed partial class EmulateProcessTests
{
    [GeneratedRegex(@"Alpaca:DataUrl=(ws://127\.0\.0\.1:\d+/)")]
    private static partial Regex DataUrlLine();

    [Fact]
    public async Task Serves_a_csv_tape_to_the_client()
    {
        var tape = Path.Combine(Path.GetTempPath(), $"emulate-{Guid.NewGuid():N}.csv");
        var rows = new List<string> { "time,symbol,bid,ask,last" };
        for (int i = 0; i < 50; i++) rows.Add($"2026-01-21T15:00:{i:00}Z,META,{700 + i}.5,{700 + i}.75,");
        await File.WriteAllLinesAsync(tape, rows);
        var dll = Path.Combine(AppContext.BaseDirectory, "streamer.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "emulate", "--ticks", tape, "--speed", "100", "--loop", "--key", "K", "--secret", "S" }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            Uri? dataUrl = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (dataUrl is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token)
                    ?? throw new InvalidOperationException($"emulate exited: {await process.StandardError.ReadToEndAsync(cts.Token)}");
                if (DataUrlLine().Match(line) is { Success: true } m) dataUrl = new Uri(m.Groups[1].Value);
            }

            var symbols = new SymbolTable();
            int meta = symbols.Intern("META");
            var ticks = Channel.CreateUnbounded<Tick>();
            await using var client = new AlpacaStreamClient(new AlpacaStreamOptions { DataUrl = dataUrl }, new AlpacaCredentials("K", "S"), symbols, ticks.Writer);
            client.Start();
            await client.SubscribeAsync(["META"]);
            var first = await ticks.Reader.ReadAsync(cts.Token);
            var second = await ticks.Reader.ReadAsync(cts.Token);
            Assert.Equal(meta, first.SymbolId);
            Assert.Equal(0.25, first.Ask - first.Bid, 9);
            Assert.Equal(1.0, second.Bid - first.Bid, 9); // consecutive rows, one second apart on the tape
            Assert.Equal(1_000_000_000L, second.TimeNs - first.TimeNs);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            File.Delete(tape);
        }
    }
}
