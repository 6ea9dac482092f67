using System.Text;
using BenchmarkDotNet.Attributes;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Benchmarks;

/// <summary>
/// Alpaca frame parsing, reported per message (OperationsPerInvoke = messages per frame):
/// a batch of stock quotes as JSON and a batch of option quotes as MessagePack, the shapes
/// the live streams send. Target ≤ 300 ns and 0 B per quote message.
/// </summary>
[MemoryDiagnoser]
public class AlpacaParseBenchmarks
{
    private const int Messages = 20;
    private byte[] _json = [];
    private byte[] _msgpack = [];
    private AlpacaFrameParser _parser = null!;
    private readonly SinkHandler _sink = new();

    private sealed class SinkHandler : IAlpacaFrameHandler
    {
        public double Sum;
        public void OnTick(in Tick tick) => Sum += tick.Bid;
        public void OnControl(AlpacaControlMessage message) { }
    }

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new SymbolTable();
        var stocks = new[] { "AAPL", "META", "SPY", "QQQ", "NVDA" };
        var options = OptionQuoteFrames.Symbols;
        foreach (var s in stocks) symbols.Intern(s);
        foreach (var s in options) symbols.Intern(s);
        _parser = new AlpacaFrameParser(symbols);

        var json = new StringBuilder("[");
        for (int i = 0; i < Messages; i++)
        {
            if (i > 0) json.Append(',');
            json.Append("{\"T\":\"q\",\"S\":\"").Append(stocks[i % stocks.Length])
                .Append("\",\"bx\":\"V\",\"bp\":133.8").Append(i % 10)
                .Append(",\"bs\":4,\"ax\":\"V\",\"ap\":135.7").Append(i % 10)
                .Append(",\"as\":5,\"c\":[\"R\"],\"z\":\"C\",\"t\":\"2024-07-24T13:56:53.6397137").Append(10 + i).Append("Z\"}");
        }
        _json = Encoding.UTF8.GetBytes(json.Append(']').ToString());

        _msgpack = OptionQuoteFrames.Build(Messages);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public bool JsonQuoteBatch() => _parser.ParseJson(_json, _sink);

    [Benchmark(OperationsPerInvoke = Messages)]
    public bool MessagePackQuoteBatch() => _parser.ParseMessagePack(_msgpack, _sink);
}
