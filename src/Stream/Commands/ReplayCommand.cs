namespace Streamer.Stream.Commands;

internal static class ReplayCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer replay: not built yet (issue 3); nothing was done");
        return 3;
    }
}
