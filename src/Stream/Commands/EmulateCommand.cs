namespace Streamer.Stream.Commands;

internal static class EmulateCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer emulate: not built yet (issue 5); nothing was done");
        return 3;
    }
}
