namespace Streamer.Stream.Commands;

internal static class RunCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer run: not built yet (issue 4); nothing was done");
        return 3;
    }
}
