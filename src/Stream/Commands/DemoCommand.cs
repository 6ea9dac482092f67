namespace Streamer.Stream.Commands;

internal static class DemoCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer demo: not built yet (issue 3); nothing was done");
        return 3;
    }
}
