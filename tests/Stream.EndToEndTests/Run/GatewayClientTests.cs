using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Streamer.Stream.Emulator;
using Streamer.Stream.Tests.Emulator;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer gateway</c> as its own process on the emulator (Alpaca's protocol on loopback), read by an
/// independent client: nats.js decoding the documented byte layout (tests/clients/gateway-ticks.js).
/// </summary>
public sealed class GatewayClientTests
{
    private const string Secret = "gateway-secret-7f3a91";

    [Fact]
    public async Task A_nats_js_client_declares_demand_and_decodes_the_gateways_ticks_as_the_emulator_sent_them()
    {
        var tape = Tapes.Mixed(3000);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Loop = true, Key = "gateway-key", Secret = Secret });
        await emulator.StartAsync();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var gateway = StreamerProcess.Start(dir.Path, new Dictionary<string, string> { ["APCA_API_KEY_ID"] = "gateway-key", ["APCA_API_SECRET_KEY"] = Secret },
            "gateway", $"--Nats:Url={server.Url}", $"--Alpaca:DataUrl={emulator.DataUrl}", "--Gateway:GraceMilliseconds=0");
        await gateway.UntilAsync(() => gateway.Output.Contains("demand on streamer.demand.*", StringComparison.Ordinal), "the gateway is up");

        var result = await RunNodeAsync(new Dictionary<string, string>
        {
            ["NATS_URL"] = server.Url, ["ENGINE"] = "js-client", ["UNDERLYING"] = "AAPL", ["SYMBOLS"] = $"AAPL,{Tapes.Call}", ["COUNT"] = "3",
        });
        Assert.True(result.GetProperty("reply").GetProperty("ok").GetBoolean());
        Assert.Empty(result.GetProperty("violations").EnumerateArray());
        // every quote nats.js decoded is one the emulator's tape holds, to the nanosecond and the price
        var sent = Tapes.For(tape, "AAPL").Concat(Tapes.For(tape, Tapes.Call)).Where(t => t.Fields.HasFlag(Streamer.Rules.Market.TickFields.Quote))
            .Select(t => (t.Bid, t.Ask)).ToHashSet();
        var quotes = result.GetProperty("ticks").EnumerateArray().Where(t => t.GetProperty("fields").GetInt32() == 1).ToList();
        Assert.NotEmpty(quotes);
        Assert.All(quotes, q => Assert.Contains((q.GetProperty("bid").GetDouble(), q.GetProperty("ask").GetDouble()), sent));
        Assert.Contains(quotes, q => q.GetProperty("symbol").GetString() == Tapes.Call);

        // the client withdrew: with no grace the emulator lets both go
        Assert.True(result.GetProperty("withdrawn").GetProperty("ok").GetBoolean());
        await Waits.UntilAsync(() => emulator.SubscribedSymbols.Count == 0, "the withdrawn symbols unsubscribed upstream", TimeSpan.FromSeconds(30));
        gateway.Terminate();
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(Secret, gateway.Output, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> RunNodeAsync(IReadOnlyDictionary<string, string> env)
    {
        var clients = RunTestData.RepoFile("tests", "clients");
        if (!Directory.Exists(Path.Combine(clients, "node_modules", "nats")))
            Assert.Fail($"nats.js is not installed: run `npm ci --prefix {clients}` (scripts/test.sh does it when npm is available)");
        var psi = new ProcessStartInfo("node") { WorkingDirectory = clients, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("gateway-ticks.js");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(cts.Token);
        var text = await stdout;
        var errors = await stderr;
        Assert.True(node.ExitCode == 0, string.Create(CultureInfo.InvariantCulture, $"node gateway-ticks.js exited {node.ExitCode}: {text}\n{errors}"));
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
