namespace Streamer.Stream.Commands;

internal static class SynthCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("streamer synth: not built yet (issue 3); nothing was done");
        return 3;
    }
}
