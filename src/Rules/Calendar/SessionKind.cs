namespace Streamer.Rules.Calendar;

internal enum SessionKind : byte
{
    Weekend = 0,
    Closed = 1,
    Regular = 2,
    EarlyClose = 3,
}
