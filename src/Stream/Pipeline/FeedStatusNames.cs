namespace Streamer.Stream.Pipeline;

public static class FeedStatusNames
{
    public static string Name(this FeedStatus s) => s switch
    {
        FeedStatus.Connecting => "connecting",
        FeedStatus.Live => "live",
        FeedStatus.Stale => "stale",
        _ => "down",
    };
}
