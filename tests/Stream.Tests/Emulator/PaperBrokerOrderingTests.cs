using System.Text;
using System.Text.Json;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// the tape player and request threads race; listeners must still see each order's story in order
public sealed class PaperBrokerOrderingTests
{
    [Fact]
    public async Task Updates_of_each_order_arrive_in_order_while_quotes_and_submits_race()
    {
        var broker = new PaperBroker(() => 1_000, new PaperBrokerOptions { PartialFills = true });
        var seen = new List<(string Order, string Event, long Filled)>();
        broker.Update += u =>
        {
            using var doc = JsonDocument.Parse(u.Json);
            var data = doc.RootElement.GetProperty("data");
            seen.Add((u.OrderId, u.Event, long.Parse(data.GetProperty("order").GetProperty("filled_qty").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        };
        const int orders = 60;
        using var submitted = new CountdownEvent(orders);
        var quotes = Task.Run(() =>
        {
            int k = 0;
            void Quote()
            {
                double bid = 10 + (k++ % 7) * 0.01;
                broker.OnQuote("XYZ", bid, bid + 0.02, bidSize: 1, askSize: 1);
            }
            while (!submitted.IsSet) Quote();
            for (int i = 0; i < 1_000; i++) Quote(); // size enough for whatever is still open
        });
        var submits = Task.Run(() =>
        {
            for (int i = 0; i < orders; i++)
            {
                broker.Submit(PaperOrderRequest.Parse(Encoding.UTF8.GetBytes(
                    $$"""{"symbol":"XYZ","qty":"3","side":"buy","type":"market","time_in_force":"day","client_order_id":"o-{{i}}"}""")));
                submitted.Signal();
            }
        });
        await Task.WhenAll(quotes, submits);

        Assert.Equal(orders * 3, broker.Position("XYZ")!.Qty); // 1 per quote, enough quotes for all
        foreach (var story in seen.GroupBy(s => s.Order))
        {
            var events = story.ToList();
            Assert.Equal(("new", 0L), (events[0].Event, events[0].Filled));
            Assert.Equal(("fill", 3L), (events[^1].Event, events[^1].Filled));
            Assert.Equal([1L, 2L, 3L], events.Skip(1).Select(e => e.Filled)); // size 1 a quote: three executions, in order
        }
        Assert.Equal(orders, seen.Count(s => s.Event == "new"));
    }
}
