namespace Streamer.Stream.Emulator;

internal sealed record PaperLegExecution(PaperLeg Leg, decimal Price, long Qty);
