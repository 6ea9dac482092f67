namespace Streamer.Stream.Commands;

internal static class GreeksCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer greeks: not built yet (issue 2); nothing was done");
        return 3;
    }
}
