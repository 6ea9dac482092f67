using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Positions;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Service;

/// <summary>
/// What <c>streamer run</c> adds to <see cref="StreamerSettings"/> for the live pipeline, read and
/// checked once before anything starts: the books and the positions file are parsed here, so an
/// unknown book or an unreadable file stops the service with one line naming the key.
/// </summary>
public sealed record LiveServiceOptions
{
    public required BookSet Books { get; init; }

    public IReadOnlyList<PositionDefinition> FilePositions { get; init; } = [];

    /// <summary><c>Feed:ExitWhenDone</c>: stop the process once the tape is consumed and every exit is acked on NATS.</summary>
    public bool ExitWhenDone { get; init; }

    /// <summary>The pipeline's keys (docs/pipeline.md: <c>Pipeline:Shards</c>, <c>Pipeline:ShardCapacity</c>,
    /// <c>Feed:StaleAfter</c>, <c>Pipeline:UnmonitoredAfter</c>, <c>Snapshots:Interval</c>) plus
    /// <c>Pipeline:LatencyInPayload</c> (true: the measured tick→decision ns in each exit's latency_ns).</summary>
    public required PipelineOptions Pipeline { get; init; }

    /// <summary>
    /// <c>Journal:RestoreState</c> (<c>auto</c>): resume open positions from their journaled state.
    /// auto = yes with a live feed, no with a tape (a tape is read again from its start and re-derives
    /// the state); <c>true</c> with a tape = the tape continues where the last run stopped (a tape
    /// split in two runs).
    /// </summary>
    public bool RestoreState { get; init; } = true;

    /// <summary><c>Intake:DefaultBook</c> (day_trade): the book of a position opened by a fill that names none.</summary>
    public string DefaultBook { get; init; } = "day_trade";

    /// <summary><c>Shutdown:DrainSeconds</c> (5): how long a stop waits for NATS to ack what is still unpublished.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Journal:StateSaveMilliseconds</c> (1000; 0 = off): how often rule state that moves without an exit (trailing peaks) is journaled.</summary>
    public TimeSpan StateSaveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <param name="marketClockSpeed"><c>Alpaca:MarketClockSpeed</c> (bound by the host with the rest of the Alpaca section).</param>
    public static LiveServiceOptions From(StreamerSettings settings, double marketClockSpeed = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var books = LoadBooks(settings.BooksFile);
        var positions = LoadPositions(settings.PositionsFile, books);
        var pipeline = PipelineSettings.From(settings, marketClockSpeed);
        var defaultBook = settings.Intake.DefaultBook;
        if (!books.TryGet(defaultBook, out _)) throw new SettingsException($"Intake:DefaultBook: unknown book '{defaultBook}' (known: {string.Join(", ", books.Names.Order(StringComparer.Ordinal))})");
        var exitWhenDone = settings.Feed.ExitWhenDone;
        if (exitWhenDone && settings.FeedTape is null) throw new SettingsException("Feed:ExitWhenDone: needs Feed:Tape (a live feed never ends)");
        var restore = settings.Journal.RestoreState.ToLowerInvariant();
        return new LiveServiceOptions
        {
            StateSaveInterval = TimeSpan.FromMilliseconds(settings.Journal.StateSaveMilliseconds),
            RestoreState = restore == "auto" ? settings.FeedTape is null : restore == "true",
            Books = books,
            FilePositions = positions,
            ExitWhenDone = exitWhenDone,
            Pipeline = pipeline,
            DefaultBook = defaultBook,
            DrainTimeout = TimeSpan.FromSeconds(settings.Shutdown.DrainSeconds),
        };
    }

    private static BookSet LoadBooks(string? path)
    {
        if (path is null) return BookSet.BuiltIn;
        try
        {
            return BookSet.Parse(File.ReadAllText(path), path);
        }
        catch (ConfigException e)
        {
            throw new SettingsException($"Books:File: {e.Message}");
        }
        catch (IOException e)
        {
            throw new SettingsException($"Books:File: cannot read '{path}': {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SettingsException($"Books:File: cannot read '{path}': {e.Message}");
        }
    }

    private static List<PositionDefinition> LoadPositions(string? path, BookSet books)
    {
        if (path is null) return [];
        string text;
        IReadOnlyList<PositionSpec> specs;
        try
        {
            text = File.ReadAllText(path);
            specs = PositionsFile.Parse(text, path);
        }
        catch (ConfigException e)
        {
            throw new SettingsException($"Positions:File: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"Positions:File: cannot read '{path}': {e.Message}");
        }
        foreach (var s in specs)
            if (!books.TryGet(s.Book, out _))
                throw new SettingsException($"Positions:File: position '{s.Id}': unknown book '{s.Book}' (known: {string.Join(", ", books.Names.Order(StringComparer.Ordinal))})");
        var json = DefinitionsOf(text, specs.Count, path);
        var result = new List<PositionDefinition>(specs.Count);
        for (int i = 0; i < specs.Count; i++) result.Add(new PositionDefinition(specs[i], json[i]));
        return result;
    }

    /// <summary>Each position's own text as JSON (what the journal and the control API's list show).</summary>
    private static string[] DefinitionsOf(string text, int count, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var list = doc.RootElement.GetProperty("positions");
            var result = new string[count];
            int i = 0;
            foreach (var p in list.EnumerateArray()) result[i++] = p.GetRawText();
            return result;
        }
        catch (JsonException)
        {
            // YAML: the same objects as JSON
            return YamlPositions.ToJson(text, count, path);
        }
    }
}
