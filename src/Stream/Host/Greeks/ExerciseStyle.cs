
namespace Streamer.Stream.Host.Greeks;

internal enum ExerciseStyle : byte { European, American }
