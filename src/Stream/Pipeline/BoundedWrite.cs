using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Writes to a bounded channel in <see cref="BoundedChannelFullMode.Wait"/> mode from a thread that
/// may block: never drops, never grows; when the channel is full the writer waits and the wait is
/// measured (the caller counts it and alerts).
/// </summary>
internal static class BoundedWrite
{
    /// <summary>Stopwatch ticks spent waiting for room: 0 when there was room at once, −1 when the channel is closed (nothing written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Write<T>(ChannelWriter<T> writer, in T item) => writer.TryWrite(item) ? 0 : WaitAndWrite(writer, item);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long WaitAndWrite<T>(ChannelWriter<T> writer, T item)
    {
        long start = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (true)
        {
            // a short spin first: the reader usually frees a slot within microseconds
            for (int i = 0; i < 16; i++)
            {
                if (writer.TryWrite(item)) return Math.Max(1, Stopwatch.GetTimestamp() - start);
                spin.SpinOnce(sleep1Threshold: -1);
            }
            // then block (allocates a task: this is the measured, alerted slow path)
            if (!writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult()) return -1;
            if (writer.TryWrite(item)) return Math.Max(1, Stopwatch.GetTimestamp() - start);
        }
    }
}
