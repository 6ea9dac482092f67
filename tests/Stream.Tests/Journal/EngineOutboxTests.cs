using System.Collections.Concurrent;
using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Outbox;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Journal;

/// <summary>The real engine → sink → handoff → journal → outbox → JetStream, across a restart.</summary>
public sealed class EngineOutboxTests
{
    private const string Short = "SPY260220P00580000";
    private const string Long = "SPY260220P00575000";

    private const string Books = """
        books:
          so:
            rules:
              scale_out: {}
        """;

    // a 10-lot put credit spread, credit 1.20: tranches of 4 / 4 / 2 at 50 / 75 / 90 % of max profit
    private const string Positions = $$"""
        positions:
          - id: SPY-PCS-1
            book: so
            opened_at: 2026-01-05T15:00:00Z
            legs:
              - { symbol: {{Short}}, qty: -10, entry_price: 2.10 }
              - { symbol: {{Long}}, qty: 10, entry_price: 0.90 }
        """;

    private static readonly long T0 = MarketCalendar.NewYorkToUtc(new DateOnly(2026, 1, 21), new TimeOnly(10, 0));

    private sealed class Run : IAsyncDisposable
    {
        private readonly SymbolTable _symbols = new();
        private OutboxExitSink _sink;

        public Run(string journalPath, string natsUrl)
        {
            Journal = SqliteJournal.Open(journalPath);
            Bus = TestBus.Create(natsUrl);
            Outbox = new ExitOutbox(Journal, new JetStreamClient(Bus), new ExitOutboxOptions { RetryMaxDelay = TimeSpan.FromMilliseconds(300) });
            Handoff = new ExitHandoff(Outbox, capacity: 4);
            Handoff.Submitted += (e, o) => Outcomes.Enqueue((e.Id, o));
            _sink = new OutboxExitSink(Handoff);
            Engine = new ExitEngine(_symbols, BookSet.Parse(Books, "test-books"));
            foreach (var spec in PositionsFile.Parse(Positions, "test-positions")) Engine.AddPosition(spec);
            Outbox.Start();
        }

        public SqliteJournal Journal { get; }
        public NatsWireBus Bus { get; }
        public ExitOutbox Outbox { get; }
        public ExitHandoff Handoff { get; }
        public ExitEngine Engine { get; }
        public ConcurrentQueue<(string Id, OutboxSubmitOutcome Outcome)> Outcomes { get; } = new();

        /// <summary>spread debit = short mid − long mid; the long leg moves first so no better state is passed through.</summary>
        public void Marks(long t, double shortMid, double longMid)
        {
            var l = Tick.Quote(t, _symbols.Intern(Long), longMid - 0.01, longMid + 0.01);
            Engine.OnTick(in l, ref _sink);
            var s = Tick.Quote(t + 1, _symbols.Intern(Short), shortMid - 0.01, shortMid + 0.01);
            Engine.OnTick(in s, ref _sink);
        }

        public async Task DrainAsync()
        {
            await Waits.UntilAsync(() => Handoff.Pending == 0 && Outbox.Backlog == 0, "engine exits journaled and published");
        }

        public async ValueTask DisposeAsync()
        {
            await Handoff.DisposeAsync();
            await Outbox.DisposeAsync();
            Bus.Dispose();
            Journal.Dispose();
        }
    }

    [Fact]
    public async Task Tranches_fire_once_across_a_restart_and_reach_the_stream_once_each()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        var path = dir.File("journal.db");

        await using (var first = new Run(path, server.Url))
        {
            first.Marks(T0, 1.00, 0.40);               // debit 0.60: 50 % of max -> tranche 1 (4)
            first.Marks(T0 + 1_000_000_000, 0.70, 0.40); // debit 0.30: 75 % -> tranche 2 (4)
            await first.DrainAsync();
            Assert.Equal([("SPY-PCS-1:1", OutboxSubmitOutcome.Accepted), ("SPY-PCS-1:2", OutboxSubmitOutcome.Accepted)], first.Outcomes);
        } // the process ends; the engine's memory is gone

        await using (var second = new Run(path, server.Url))
        {
            Assert.Empty(EngineExits.RestoreInto(second.Engine, second.Journal));
            Assert.True(second.Engine.TryGetState("SPY-PCS-1", out var restored));
            Assert.Equal((10, 2, 0b011, 3), (restored.ContractsOriginal, restored.ContractsRemaining, restored.TranchesFired, restored.NextSequence));

            second.Marks(T0 + 10_000_000_000, 1.00, 0.40); // the 50 % and 75 % levels again: nothing fires
            second.Marks(T0 + 11_000_000_000, 0.70, 0.40);
            second.Marks(T0 + 12_000_000_000, 0.52, 0.40); // debit 0.12: 90 % -> the last tranche (2)
            await second.DrainAsync();
            Assert.Equal([("SPY-PCS-1:3", OutboxSubmitOutcome.Accepted)], second.Outcomes);
            Assert.True(second.Journal.TryLoadPositionState("SPY-PCS-1", out var json));
            Assert.Equal(0, PositionStateJson.Parse(json, "SPY-PCS-1").ContractsRemaining);
            Assert.Equal([0, 1, 2], second.Journal.TranchesFired("SPY-PCS-1"));
        }

        using var bus = await TestBus.ConnectedAsync(server.Url);
        var read = await JetStreamReader.ReadFromStartAsync(new JetStreamClient(bus), NatsSubjects.ExitStream, null, TimeSpan.FromSeconds(15));
        Assert.Equal(["SPY-PCS-1:1", "SPY-PCS-1:2", "SPY-PCS-1:3"], read.Select(m => ExitIdDeduplicator.ReadId(m.Data)));
        Assert.All(read, m => Assert.Equal("streamer.exits.SPY", m.Subject));
        var closed = read.Select(m => JsonDocument.Parse(m.Data).RootElement).Select(e => (e.GetProperty("contracts_closed").GetInt32(), e.GetProperty("contracts_remaining").GetInt32()));
        Assert.Equal([(4, 6), (4, 2), (2, 0)], closed);
    }

    [Fact]
    public async Task Without_restoring_the_engine_repeats_an_exit_and_the_journal_stops_it_by_id()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        var path = dir.File("journal.db");
        await using (var first = new Run(path, server.Url))
        {
            first.Marks(T0, 1.00, 0.40);
            await first.DrainAsync();
        }
        await using (var forgetful = new Run(path, server.Url)) // no RestoreInto: the engine starts from scratch
        {
            forgetful.Marks(T0 + 10_000_000_000, 1.00, 0.40);
            await forgetful.DrainAsync();
            Assert.Equal([("SPY-PCS-1:1", OutboxSubmitOutcome.AlreadyDecided)], forgetful.Outcomes);
        }
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var read = await JetStreamReader.ReadFromStartAsync(new JetStreamClient(bus), NatsSubjects.ExitStream, null, TimeSpan.FromSeconds(15));
        Assert.Equal(["SPY-PCS-1:1"], read.Select(m => ExitIdDeduplicator.ReadId(m.Data)));
    }

    [Fact]
    public void The_engine_state_round_trips_through_its_json()
    {
        var s = new PositionState(10, 6, 1, true, 1.2345678901234567, 2, -120.5);
        Assert.Equal(s, PositionStateJson.Parse(PositionStateJson.Write(s), "P"));
        var none = new PositionState(6, 6, 0, false, double.NaN, 1, 0);
        var back = PositionStateJson.Parse(PositionStateJson.Write(none), "P");
        Assert.True(double.IsNaN(back.TrailingPeakPerContract));
        var e = Assert.Throws<FormatException>(() => PositionStateJson.Parse("""{"contracts_original":1}""", "P-9"));
        Assert.Contains("P-9", e.Message, StringComparison.Ordinal);
    }
}
