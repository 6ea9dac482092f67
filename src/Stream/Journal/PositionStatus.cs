namespace Streamer.Stream.Journal;

public enum PositionStatus
{
    Open,
    Closed,
}
