
namespace Streamer.Stream.Pipeline;

/// <summary>A feed's alert. <paramref name="FeedDown"/>: the feed is gone or gave up (alert kind <c>feed_down</c>), else <c>market_data</c>.</summary>
/// <param name="Code">a short key naming the cause (deduplicates repeats).</param>
public sealed record FeedAlert(bool FeedDown, string Message, string Code);
