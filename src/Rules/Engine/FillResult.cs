
namespace Streamer.Rules.Engine;

/// <summary>
/// The outcome of <see cref="ExitEngine.ApplyFill"/>. <see cref="Units"/>: strategy units added (+) or
/// closed (−) when resized. <see cref="Message"/>: why rejected, or a warning on a resize (a closing
/// fill larger than what was open closes what was open and says so).
/// </summary>
public readonly record struct FillResult(FillEffect Effect, int Units, string? Message);
