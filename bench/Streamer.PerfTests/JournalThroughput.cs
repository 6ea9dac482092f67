using System.Diagnostics;
using System.Globalization;
using System.Text;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;

namespace Streamer.PerfTests;

/// <summary>
/// The journal alone: group commits of <c>batch</c> exits (each with its position's state and its
/// closing, as the engine journals them), fsynced, on a real SQLite file in a temp directory; then
/// the acks marked in rounds, as the outbox marks them. Exits/s for each, in one run.
/// </summary>
internal static class JournalThroughput
{
    public static int Run(string[] args)
    {
        int exits = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60_000;
        int batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        var dir = Directory.CreateTempSubdirectory("streamer-journal-").FullName;
        try
        {
            using var journal = JournalDatabase.Open(Path.Combine(dir, "journal.db"));
            var payload = Encoding.UTF8.GetBytes(new string('x', 600));
            const string State = """{"contracts_original":100,"contracts_remaining":0,"tranches_fired":0,"trailing_active":false,"trailing_peak_per_contract":null,"next_sequence":2,"realized_pnl":0.5,"fill_watermark":0,"opened_at":1}""";
            for (int i = 0; i < exits; i++) journal.Positions.UpsertPosition($"P{i}", "{}", 1);
            var all = Enumerable.Range(0, exits).Select(i => new PendingExit($"P{i}:1", $"P{i}", 1, "streamer.exits.AAA", payload, i, 0, State, true)).ToArray();
            var wall = Stopwatch.StartNew();
            for (int i = 0; i < exits; i += batch) journal.Exits.RecordExitsDecided(all.AsSpan(i, Math.Min(batch, exits - i)).ToArray());
            var decided = wall.Elapsed;
            wall.Restart();
            for (int i = 0; i < exits; i += batch)
                journal.Exits.MarkPublished([.. all.Skip(i).Take(batch).Select((e, k) => (e.Id, (ulong)(i + k + 1)))], 1);
            var marked = wall.Elapsed;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"journal: {exits:N0} exits in group commits of {batch} (state + closing each, fsync per commit): {decided.TotalSeconds:F2} s = {exits / decided.TotalSeconds:N0} exits/s, {decided.TotalMilliseconds / Math.Ceiling(exits / (double)batch):F2} ms per commit; acks marked in rounds of {batch}: {exits / marked.TotalSeconds:N0} marks/s"));
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
