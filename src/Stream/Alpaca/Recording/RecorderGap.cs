namespace Streamer.Stream.Alpaca.Recording;

/// <summary>
/// A stretch a recorded tape may be missing ticks in, named in its sidecar: for <see cref="Stream"/>
/// (<c>stocks</c>, <c>options</c>, or <c>all</c> while the recorder itself was not running), every tick
/// with exchange time in [<see cref="FromNs"/>, <see cref="ToNs"/>] may be absent. FromNs is the last
/// tick delivered before the drop (null: none had come yet), ToNs the first one after (null: none came
/// before the recording stopped).
/// </summary>
public sealed record RecorderGap(string Stream, long? FromNs, long? ToNs, long DroppedAtNs, long? ResumedAtNs, string Reason);
