namespace Streamer.Rules.Instruments;

/// <summary>Call or put. Zero is reserved so a default struct is visibly "not an option".</summary>
public enum OptionRight : byte
{
    None = 0,
    Call = 1,
    Put = 2,
}
