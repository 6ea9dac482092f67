using System.Text;
using Streamer.Rules.Market;
using Streamer.Stream.Service.Gateway;

namespace Streamer.Stream.Tests.Gateway;

/// <summary>The tick record of <c>streamer.ticks.*</c> and the demand message, byte by byte and field by field.</summary>
public sealed class GatewayWireTests
{
    [Fact]
    public void A_tick_record_reads_back_what_was_written_with_absent_prices_as_NaN()
    {
        var buffer = new byte[2 * TickWire.MaxRecordBytes];
        var quote = Tick.Quote(1_768_000_000_123_456_789, 7, 5.1, 5.2);
        var trade = Tick.Trade(1_768_000_000_123_456_790, 8, 720.5);
        int n = TickWire.Write(buffer, in quote, "META260220C00720000"u8);
        Assert.Equal(35 + 19, n);
        n += TickWire.Write(buffer.AsSpan(n), in trade, "META"u8);

        int offset = 0;
        TickWire.Read(buffer.AsSpan(0, n), ref offset, out var q, out var qs);
        Assert.Equal("META260220C00720000", Encoding.ASCII.GetString(qs));
        Assert.Equal((quote.TimeNs, TickFields.Quote, 5.1, 5.2), (q.TimeNs, q.Fields, q.Bid, q.Ask));
        Assert.True(double.IsNaN(q.Last));
        Assert.Equal(0, q.SymbolId); // the reader's own table resolves the name
        TickWire.Read(buffer.AsSpan(0, n), ref offset, out var t, out var ts);
        Assert.Equal("META", Encoding.ASCII.GetString(ts));
        Assert.Equal((TickFields.Trade, 720.5), (t.Fields, t.Last));
        Assert.True(double.IsNaN(t.Bid) && double.IsNaN(t.Ask));
        Assert.Equal(n, offset);
        // the documented offsets: tag, time at 1, fields at 9, symbol length at 34
        Assert.Equal((byte)'T', buffer[0]);
        Assert.Equal(quote.TimeNs, BitConverter.ToInt64(buffer, 1));
        Assert.Equal(1, buffer[9]);
        Assert.Equal(19, buffer[34]);
    }

    [Theory]
    [InlineData(new byte[] { 0x6E, 1, 2 }, "tick record at byte 0: tag 0x6E is not 'T' (0x54)")]
    [InlineData(new byte[] { 0x54, 1, 2 }, "tick record at byte 0 is cut short: 3 bytes left, the record needs 35")]
    public void A_payload_that_is_not_a_tick_record_is_refused_naming_the_byte(byte[] payload, string error)
    {
        int offset = 0;
        var e = Assert.Throws<TickWireException>(() => TickWire.Read(payload, ref offset, out _, out _));
        Assert.Equal(error, e.Message);
    }

    [Fact]
    public void Bad_fields_and_symbol_lengths_are_refused_by_name()
    {
        var buffer = new byte[TickWire.MaxRecordBytes];
        var tick = Tick.Quote(1, 1, 1, 2);
        int n = TickWire.Write(buffer, in tick, "SPY"u8);
        buffer[9] = 9;
        int offset = 0;
        Assert.Equal("tick record at byte 0: field 'fields' is 9 (1 quote, 2 trade, 3 both)", Assert.Throws<TickWireException>(() => TickWire.Read(buffer.AsSpan(0, n), ref offset, out _, out _)).Message);
        buffer[9] = 1;
        buffer[34] = 0;
        Assert.Contains("field 'symbol' length is 0", Assert.Throws<TickWireException>(() => TickWire.Read(buffer.AsSpan(0, n), ref offset, out _, out _)).Message, StringComparison.Ordinal);
        buffer[34] = 4; // one more than is there
        Assert.Contains("cut short: 38 bytes left, the record needs 39", Assert.Throws<TickWireException>(() => TickWire.Read(buffer.AsSpan(0, n), ref offset, out _, out _)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_demand_round_trips_and_defaults_to_the_full_set()
    {
        var d = new DemandMessage("e-1", 10_000, true, new Dictionary<string, string[]> { ["SPY"] = ["SPY", "SPY260220P00580000"] });
        var back = DemandMessage.Parse("streamer.demand.e-1", d.ToJson());
        Assert.Equal(("e-1", 10_000, true), (back.Engine, back.LeaseMs, back.Full));
        Assert.Equal(["SPY", "SPY260220P00580000"], back.Underlyings["SPY"]);
        Assert.True(DemandMessage.Parse("streamer.demand.e2", """{"lease_ms":1000,"underlyings":{}}"""u8).Full);
    }

    [Theory]
    [InlineData("streamer.demand.a.b", "{}", "subject 'streamer.demand.a.b': the engine id must be one token")]
    [InlineData("streamer.demand.e1", "[]", "streamer.demand.e1: the demand must be a JSON object")]
    [InlineData("streamer.demand.e1", """{"underlyings":{}}""", "streamer.demand.e1: field 'lease_ms' must be an integer from 1000 to 300000")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000,"full":1,"underlyings":{}}""", "streamer.demand.e1: field 'full' must be true or false")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000}""", "streamer.demand.e1: field 'underlyings' must be an object")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000,"underlyings":{"spy*":[]}}""", "streamer.demand.e1: underlyings: 'spy*' is not a ticker")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000,"underlyings":{"SPY":"SPY"}}""", "streamer.demand.e1: underlyings.SPY must be an array of symbols")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000,"underlyings":{"SPY":["QQQ"]}}""", "streamer.demand.e1: underlyings.SPY: stock 'QQQ' belongs under its own underlying")]
    [InlineData("streamer.demand.e1", """{"lease_ms":1000,"underlyings":{"SPY":["SPY261340P00580000"]}}""", "streamer.demand.e1: underlyings.SPY: option symbol 'SPY261340P00580000': expiration '261340' is not a calendar date")]
    public void A_bad_demand_is_refused_naming_the_subject_and_field(string subject, string json, string error)
    {
        var e = Assert.Throws<DemandException>(() => DemandMessage.Parse(subject, Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith(error, e.Message, StringComparison.Ordinal);
    }
}
