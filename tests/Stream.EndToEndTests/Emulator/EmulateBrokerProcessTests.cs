using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Streamer.Stream.Tests.Emulator;

// `streamer emulate` with the broker knobs, as its own process, over loopback HTTP
public sealed partial class EmulateBrokerProcessTests
{
    [GeneratedRegex(@"Alpaca:DataUrl=ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex PortLine();

    [Fact]
    public async Task Partial_fill_and_reject_options_reach_the_paper_broker()
    {
        var tape = Path.Combine(Path.GetTempPath(), $"emulate-broker-{Guid.NewGuid():N}.csv");
        var rows = new List<string> { "time,symbol,bid,ask,last", "2026-01-21T14:59:59Z,QCOM,150,150.10," };
        for (int i = 0; i < 600; i++) rows.Add($"2026-01-21T15:{i / 60:00}:{i % 60:00}Z,META,{700 + i * 0.01:0.00},{700.25 + i * 0.01:0.00},");
        await File.WriteAllLinesAsync(tape, rows);
        var dll = Path.Combine(AppContext.BaseDirectory, "streamer.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "emulate", "--ticks", tape, "--speed", "4", "--key", "K", "--secret", "S", "--partial-fills", "--quote-size", "2", "--reject-symbols", "QCOM" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int port = 0;
            var banner = new StringBuilder();
            while (port == 0)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token)
                    ?? throw new InvalidOperationException($"emulate exited: {await process.StandardError.ReadToEndAsync(cts.Token)}");
                banner.AppendLine(line);
                if (PortLine().Match(line) is { Success: true } m) port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
            Assert.Contains("partial fills at displayed sizes 2-2", banner.ToString(), StringComparison.Ordinal);

            // start the market clock and wait for the first quote, so the broker knows META's price
            await using var data = await RawSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/v2/iex"));
            await data.ReceiveTextAsync();
            await data.SendTextAsync("""{"action":"auth","key":"K","secret":"S"}""");
            await data.ReceiveTextAsync();
            await data.SendTextAsync("""{"action":"subscribe","quotes":["META"]}""");
            await data.ReceiveTextAsync();
            using (var quote = JsonDocument.Parse(await data.ReceiveTextAsync()))
                Assert.Equal(2, quote.RootElement[0].GetProperty("as").GetInt32()); // the size the stream shows

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Add("APCA-API-KEY-ID", "K");
            http.DefaultRequestHeaders.Add("APCA-API-SECRET-KEY", "S");
            async Task<(HttpStatusCode, JsonElement)> Post(string json)
            {
                using var r = await http.PostAsync(new Uri("/v2/orders", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
                return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
            }

            var (rejected, error) = await Post("""{"symbol":"QCOM","qty":"1","side":"buy","type":"market","time_in_force":"day"}""");
            Assert.Equal(HttpStatusCode.Forbidden, rejected);
            Assert.Equal(40310000, error.GetProperty("code").GetInt32());

            var (ok, order) = await Post("""{"symbol":"META","qty":"5","side":"buy","type":"market","time_in_force":"day","client_order_id":"meta-5"}""");
            Assert.Equal(HttpStatusCode.OK, ok);
            Assert.Equal("partially_filled", order.GetProperty("status").GetString());
            // 2 at the current quote (a busy machine may let the next quote, 250 ms later, add 2 before the response is written)
            Assert.Contains(order.GetProperty("filled_qty").GetString(), new[] { "2", "4" });

            // the rest fills at the next quotes (2 + 2 + 1), 250 ms apart at 4×
            string status = "";
            for (int i = 0; i < 200 && status != "filled"; i++)
            {
                await Task.Delay(50);
                using var r = await http.GetAsync(new Uri("/v2/orders:by_client_order_id?client_order_id=meta-5", UriKind.Relative));
                using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
                status = doc.RootElement.GetProperty("status").GetString()!;
            }
            Assert.Equal("filled", status);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            File.Delete(tape);
        }
    }
}
