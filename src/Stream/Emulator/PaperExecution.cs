namespace Streamer.Stream.Emulator;

/// <summary>One execution of an order: per unit price (mleg: net, credits negative), units, and each leg's part.</summary>
internal sealed record PaperExecution(decimal Price, long Qty, IReadOnlyList<PaperLegExecution> Legs);
