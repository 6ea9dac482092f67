namespace Streamer.Stream.Emulator;

/// <summary>How one emulator connection speaks: JSON text frames or MessagePack binary frames.</summary>
internal enum EmulatorFormat : byte
{
    Json,
    MessagePack,
}
