using System.Text;
using Streamer.Stream.Journal;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// Exits:Durability under fire: the real <c>streamer run</c> killed with SIGKILL at random instants
/// through a tape, twenty times, restarted on the same journal each time (each run reads the tape
/// from its first row and re-derives its positions, so a kill can fall before, between or after any
/// decision's publish, commit and ack), then a last run to the tape's end. The stream must hold each
/// decision once by id, no id with two different decisions, and exactly the uninterrupted run's set.
/// </summary>
public sealed class DurabilityKillTests
{
    private const int Kills = 20;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("publish-first")]
    [InlineData("journal-first")]
    public async Task Twenty_kills_at_random_instants_leave_each_decision_on_the_stream_once_and_the_set_of_an_uninterrupted_run(string durability)
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        var expected = ramp.ReplayExits();
        Assert.Equal(ramp.ExpectedExits, expected.Count);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var journalPath = dir.File("j.db");
        string[] common = ["run", $"--Nats:Url={server.Url}", $"--Journal:Path={journalPath}", "--Heartbeat:IntervalSeconds=0.5", $"--Exits:Durability={durability}",
            $"--Feed:Tape={ramp.Tape}", $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}"];

        var killedAt = new List<string>();
        for (int k = 0; k < Kills; k++)
        {
            // the tape is 3 s at 20x; a run needs about a second to start: kills land before, during and after the exits
            using var run = StreamerProcess.Start(dir.Path, [.. common, "--Feed:Speed=20"]);
            await Task.Delay(random.Next(400, 3500));
            int seen = exits.Count;
            run.Crash();
            killedAt.Add($"{k}: {seen} on NATS, {RunTestData.JournaledExitCount(journalPath)} journaled");
        }
        string context = $"seed {seed}, {durability}; kills: {string.Join("; ", killedAt)}";

        var (code, output) = await StreamerProcess.RunAsync(dir.Path, [.. common, "--Feed:Speed=0", "--Feed:ExitWhenDone=true"]);
        Assert.True(code == 0, context + "\n" + output);

        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        var decisions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in onStream)
        {
            var id = ExitId.Read(m.Data);
            // once by id: the server dropped every resend within its duplicate window, whichever record (journal or stream) the restart had
            Assert.True(decisions.TryAdd(id, RunTestData.WithoutLatency(m.Data)), $"exit {id} is on the stream twice ({context})");
        }
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), decisions.Keys.Order(StringComparer.Ordinal));
        // and each id is the decision the uninterrupted run made under it: no id reused for another decision
        foreach (var e in expected)
            Assert.True(RunTestData.WithoutLatency(e.Json) == decisions[e.Id], $"exit {e.Id} differs from the uninterrupted run's ({context})");

        // the journal agrees: every decision once, with the payload the stream has, all acked, and a clean last stop
        using var journal = JournalDatabase.Open(journalPath);
        var journaled = journal.Exits.ListExits();
        Assert.Equal(expected.Count, journaled.Count);
        foreach (var j in journaled)
        {
            Assert.Equal(decisions[j.Id], RunTestData.WithoutLatency(Encoding.UTF8.GetString(j.Payload)));
            Assert.NotNull(j.StreamSequence);
        }
        Assert.False(journal.Exits.MayHaveStreamOnlyExits);
    }
}
