using System.Diagnostics;
using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Alpaca.MarketData;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>
/// <c>streamer record</c>: every quote and trade of the given symbols from Alpaca's stock and option
/// streams (or the emulator's) into one tape per New York session day, <c>DIR/YYYY-MM-DD.csv</c>
/// (or <c>.jsonl</c>), flushed every <see cref="TapeRecorderOptions.FlushInterval"/>. The streams
/// reconnect by themselves; what a drop may have cost is named, never silent: each gap goes to the
/// log and to the day's sidecar <c>YYYY-MM-DD.csv.meta.jsonl</c> (docs/alpaca.md "Recording").
/// Restarted on the same day, it continues that day's tape and names the time it was not running.
/// </summary>
public sealed class TapeRecorder
{
    private readonly TapeRecorderOptions _options;
    private readonly TextWriter _log;
    private readonly SymbolTable _symbols = new();
    private readonly RecorderStream[] _streams;
    private readonly Lock _gate = new();
    private readonly List<PendingRow> _pending = [];
    private readonly List<PendingRow> _batch = [];
    private long _sequence;

    private TickTapeWriter? _writer;
    private FileStream? _file;
    private DateOnly _fileDay;
    private long _writtenThroughNs = long.MinValue;
    private bool _anyRowWritten;

    public TapeRecorder(TapeRecorderOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (options.Format == TapeFormat.Binary)
            throw new ArgumentException("record writes CSV or JSONL (a tape it can continue after a restart); make a binary tape from it with streamer tape convert", nameof(options));
        if (options.Symbols.Count == 0) throw new ArgumentException("no symbols to record", nameof(options));
        _options = options;
        _log = log;
        var stocks = new List<string>();
        var contracts = new List<string>();
        foreach (var s in options.Symbols.Distinct(StringComparer.Ordinal))
        {
            _symbols.Intern(s);
            (OccSymbol.LooksLikeOption(s) ? contracts : stocks).Add(s);
        }
        var streams = new List<RecorderStream>();
        if (stocks.Count > 0) streams.Add(Open("stocks", AlpacaStreamKind.Stocks, options.Feed, stocks));
        if (contracts.Count > 0) streams.Add(Open("options", AlpacaStreamKind.Options, options.OptionsFeed, contracts));
        _streams = [.. streams];
    }

    /// <summary>Rows on disk.</summary>
    public long RowsWritten { get; private set; }

    /// <summary>Rows that came after rows with later times had been written (named in the sidecar as "late", not written).</summary>
    public long LateRows { get; private set; }

    /// <summary>Gaps named so far (tests, the summary line).</summary>
    public IReadOnlyList<RecorderGap> Gaps => _gaps;

    private readonly List<RecorderGap> _gaps = [];

    /// <summary>The tape files written or continued, in day order.</summary>
    public IReadOnlyList<string> Files => _files;

    private readonly List<string> _files = [];

    /// <summary>Raised (on the recorder's pump) when a stream delivers its first tick after it dropped.</summary>
    public event Action<RecorderGap>? GapNamed;

    private RecorderStream Open(string name, AlpacaStreamKind kind, string feed, List<string> symbols)
    {
        var stream = new RecorderStream(name);
        var client = new AlpacaStreamClient(new AlpacaStreamOptions
        {
            DataUrl = _options.DataUrl,
            Kind = kind,
            Feed = feed,
            InitialBackoff = _options.InitialBackoff,
            MaxBackoff = _options.MaxBackoff,
        }, _options.Credentials, _symbols, stream.Ticks.Writer);
        client.StateChanged += stream.OnStateChanged;
        client.Alert += a =>
        {
            stream.OnAlert(a);
            lock (_log) _log.WriteLine($"record: {name}: {a}");
        };
        _ = client.SubscribeAsync(symbols);
        stream.Client = client;
        return stream;
    }

    /// <summary>Records until <paramref name="stop"/> fires, then writes out what it holds and closes the day's tape.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        _startedAt = RecorderStream.WallNs();
        var pumps = _streams.Select(s => Task.Run(() => PumpAsync(s), CancellationToken.None)).ToArray();
        foreach (var s in _streams) s.Client!.Start();
        using (var timer = new PeriodicTimer(_options.FlushInterval))
        {
            try
            {
                while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false)) WriteOut(final: false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // stopping: the clients first, then every row they delivered
            }
        }
        foreach (var s in _streams)
        {
            s.Stopping = true; // our own close is not a gap
            await s.Client!.DisposeAsync().ConfigureAwait(false);
            s.Ticks.Writer.TryComplete();
        }
        await Task.WhenAll(pumps).ConfigureAwait(false);
        WriteOut(final: true);
        foreach (var s in _streams)
        {
            if (s.OpenGap is { } open) Name(s, open); // dropped and never back: named open-ended
        }
        long stoppedAt = RecorderStream.WallNs();
        lock (_gate) WriteStart(_writer is null ? MarketCalendar.Nyse.NewYorkDate(stoppedAt) : _fileDay);
        AppendSidecar(_writer is null ? MarketCalendar.Nyse.NewYorkDate(stoppedAt) : _fileDay, w =>
        {
            w.WriteString("kind", "stop");
            w.WriteString("at", NanoTime.FormatRfc3339(stoppedAt));
            w.WriteNumber("rows", RowsWritten);
            w.WriteNumber("late_rows", LateRows);
            w.WriteNumber("gaps", _gaps.Count);
        });
        CloseFile();
    }

    private async Task PumpAsync(RecorderStream stream)
    {
        await foreach (var tick in stream.Ticks.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (tick.SymbolId == RecorderStream.DropMarker)
            {
                stream.OpenGap ??= new RecorderGap(stream.Name, stream.LastTickNs == long.MinValue ? null : stream.LastTickNs, null, tick.TimeNs, null, stream.LastReason);
                lock (_log) _log.WriteLine($"record: {stream.Name}: connection lost ({stream.LastReason}); reconnecting");
                continue;
            }
            RecorderGap? closed = null;
            lock (_gate)
            {
                if (stream.OpenGap is { } gap)
                {
                    stream.OpenGap = null;
                    closed = gap with { ToNs = tick.TimeNs, ResumedAtNs = RecorderStream.WallNs() };
                }
                if (stream.FirstTickNs == long.MinValue) stream.FirstTickNs = tick.TimeNs;
                if (tick.TimeNs > stream.LastTickNs) stream.LastTickNs = tick.TimeNs;
                _pending.Add(new PendingRow(tick, Stopwatch.GetTimestamp(), _sequence++));
            }
            if (closed is not null) Name(stream, closed);
        }
    }

    private void Name(RecorderStream stream, RecorderGap gap)
    {
        lock (_gate) NameLocked(stream, gap);
    }

    /// <summary>With <see cref="_gate"/> held (it is reentrant).</summary>
    private void NameLocked(RecorderStream stream, RecorderGap gap)
    {
        _gaps.Add(gap);
        long dayOf = gap.FromNs ?? gap.DroppedAtNs;
        AppendSidecar(MarketCalendar.Nyse.NewYorkDate(dayOf), w => GapJson(w, gap));
        lock (_log) _log.WriteLine($"record: {stream.Name}: gap named: ticks from {Describe(gap.FromNs)} to {Describe(gap.ToNs)} may be missing ({gap.Reason})");
        GapNamed?.Invoke(gap);
    }

    private static string Describe(long? ns) => ns is { } v ? NanoTime.FormatRfc3339(v) : "(none)";

    private static void GapJson(Utf8JsonWriter w, RecorderGap gap)
    {
        w.WriteString("kind", "gap");
        w.WriteString("stream", gap.Stream);
        Time(w, "from", gap.FromNs);
        Time(w, "to", gap.ToNs);
        w.WriteString("dropped_at", NanoTime.FormatRfc3339(gap.DroppedAtNs));
        Time(w, "resumed_at", gap.ResumedAtNs);
        w.WriteString("reason", gap.Reason);
    }

    private static void Time(Utf8JsonWriter w, string name, long? ns)
    {
        if (ns is { } v) w.WriteString(name, NanoTime.FormatRfc3339(v));
        else w.WriteNull(name);
    }

    /// <summary>
    /// Writes every held row that can no longer be overtaken: take the rows that arrived more than
    /// <see cref="TapeRecorderOptions.Holdback"/> ago, and with them every row, however recent, whose time
    /// is not after the latest of theirs; write those in time order (arrival order among equal times).
    /// Then flush the file, so a killed recorder loses at most holdback + flush interval of arrivals.
    /// </summary>
    private void WriteOut(bool final)
    {
        lock (_gate)
        {
            if (_pending.Count == 0) return;
            long cutoff = Stopwatch.GetTimestamp() - (long)(_options.Holdback.TotalSeconds * Stopwatch.Frequency);
            long through = long.MinValue;
            foreach (var row in _pending)
            {
                if ((final || row.ArrivedAt <= cutoff) && row.Tick.TimeNs > through) through = row.Tick.TimeNs;
            }
            if (through == long.MinValue) return;
            _batch.Clear();
            int kept = 0;
            for (int i = 0; i < _pending.Count; i++)
            {
                var row = _pending[i];
                if (row.Tick.TimeNs <= through) _batch.Add(row);
                else _pending[kept++] = row;
            }
            _pending.RemoveRange(kept, _pending.Count - kept);
            _batch.Sort(static (a, b) => a.Tick.TimeNs != b.Tick.TimeNs ? a.Tick.TimeNs.CompareTo(b.Tick.TimeNs) : a.Sequence.CompareTo(b.Sequence));
            long lateCount = 0, lateFrom = long.MaxValue, lateTo = long.MinValue;
            foreach (var row in _batch)
            {
                long t = row.Tick.TimeNs;
                if (t < _writtenThroughNs)
                {
                    lateCount++;
                    lateFrom = Math.Min(lateFrom, t);
                    lateTo = Math.Max(lateTo, t);
                    continue;
                }
                var tick = row.Tick;
                Writer(t).Write(in tick);
                _writtenThroughNs = t;
                RowsWritten++;
            }
            _writer?.Flush();
            if (lateCount > 0)
            {
                LateRows += lateCount;
                long through2 = _writtenThroughNs;
                AppendSidecar(MarketCalendar.Nyse.NewYorkDate(lateFrom), w =>
                {
                    w.WriteString("kind", "late");
                    w.WriteNumber("rows", lateCount);
                    w.WriteString("from", NanoTime.FormatRfc3339(lateFrom));
                    w.WriteString("to", NanoTime.FormatRfc3339(lateTo));
                    w.WriteString("written_through", NanoTime.FormatRfc3339(through2));
                });
                lock (_log) _log.WriteLine($"record: {lateCount} rows from {NanoTime.FormatRfc3339(lateFrom)} to {NanoTime.FormatRfc3339(lateTo)} came after later rows were written: left out, named in the sidecar");
            }
        }
    }

    /// <summary>The writer of the day <paramref name="timeNs"/> falls on (New York date), opening or continuing that day's tape.</summary>
    private TickTapeWriter Writer(long timeNs)
    {
        var day = MarketCalendar.Nyse.NewYorkDate(timeNs);
        if (_writer is not null && day == _fileDay) return _writer;
        CloseFile();
        string ext = _options.Format == TapeFormat.Csv ? ".csv" : ".jsonl";
        string path = Path.Combine(_options.OutputDirectory, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + ext);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        bool append = file.Length > 0;
        long? lastRow = append ? TapeTail.PrepareAppend(file, _options.Format, path) : null;
        _file = file;
        _writer = TickTapeWriter.Create(file, _options.Format, _symbols, append, leaveOpen: true);
        _fileDay = day;
        _files.Add(path);
        WriteStart(day);
        if (lastRow is { } last)
        {
            if (last > _writtenThroughNs) _writtenThroughNs = last;
            if (!_anyRowWritten) NameRestartGaps(file, path, last);
        }
        _anyRowWritten = true;
        return _writer;
    }

    /// <summary>
    /// Continuing a tape the recorder did not write this run: it was not running since that tape's rows
    /// ended, so each stream may miss ticks from its own last row there (which can be before the file's
    /// last row: the streams stop one after the other) to its first tick of this run.
    /// </summary>
    private void NameRestartGaps(FileStream file, string path, long lastRow)
    {
        var tail = TapeTail.TailRows(file, _options.Format, out bool wholeFile);
        long windowStart = tail.Count > 0 ? tail[0].TimeNs : lastRow;
        lock (_log) _log.WriteLine($"record: continuing {path} after its last row at {NanoTime.FormatRfc3339(lastRow)}: what each stream missed meanwhile is named as a gap");
        foreach (var s in _streams)
        {
            bool options = s.Name == "options";
            long? from = null;
            for (int i = tail.Count - 1; i >= 0; i--)
            {
                if (OccSymbol.LooksLikeOption(tail[i].Symbol) == options) { from = tail[i].TimeNs; break; }
            }
            // not in the last 64 KiB: it stopped earlier than that (say so from the window's start, a wider gap, never a narrower one)
            if (from is null && !wholeFile) from = windowStart;
            var gap = new RecorderGap(s.Name, from, null, lastRow, null, "not recording (the recorder was stopped or killed, and restarted)");
            if (s.FirstTickNs != long.MinValue) NameLocked(s, gap with { ToNs = s.FirstTickNs, ResumedAtNs = _startedAt });
            else s.OpenGap = gap; // named at the stream's first tick
        }
    }

    private long _startedAt;
    private bool _startWritten;

    /// <summary>The "start" line goes to the sidecar of the first tape written (or, when nothing came, of today's).</summary>
    private void WriteStart(DateOnly day)
    {
        if (_startWritten) return;
        _startWritten = true;
        AppendSidecar(day, w =>
        {
            w.WriteString("kind", "start");
            w.WriteString("at", NanoTime.FormatRfc3339(_startedAt));
            w.WriteString("url", _options.DataUrl.GetLeftPart(UriPartial.Authority));
            w.WriteString("format", _options.Format == TapeFormat.Csv ? "csv" : "jsonl");
            w.WriteStartObject("feeds");
            foreach (var s in _streams) w.WriteString(s.Name, s.Name == "stocks" ? _options.Feed : _options.OptionsFeed);
            w.WriteEndObject();
            w.WriteStartArray("symbols");
            foreach (var s in _options.Symbols.Distinct(StringComparer.Ordinal)) w.WriteStringValue(s);
            w.WriteEndArray();
        });
    }

    private void CloseFile()
    {
        _writer?.Dispose();
        _file?.Dispose();
        _writer = null;
        _file = null;
    }

    /// <summary>The sidecar of a day's tape: one JSON object per line (start, gap, late, stop).</summary>
    public static string SidecarPath(string tapePath) => tapePath + ".meta.jsonl";

    private void AppendSidecar(DateOnly day, Action<Utf8JsonWriter> fill)
    {
        string ext = _options.Format == TapeFormat.Csv ? ".csv" : ".jsonl";
        string tape = Path.Combine(_options.OutputDirectory, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + ext);
        using var file = new FileStream(SidecarPath(tape), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using (var w = new Utf8JsonWriter(file))
        {
            w.WriteStartObject();
            fill(w);
            w.WriteEndObject();
        }
        file.WriteByte((byte)'\n');
    }

    private readonly record struct PendingRow(Tick Tick, long ArrivedAt, long Sequence);
}
