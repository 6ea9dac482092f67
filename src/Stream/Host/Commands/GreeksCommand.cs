using Streamer.Stream.Host.Cli;
using Streamer.Stream.Host.Greeks;
namespace Streamer.Stream.Host.Commands;

/// <summary><c>streamer greeks --jsonl</c>: prices options line by line, stdin to stdout (formats.md).</summary>
internal static class GreeksCommand
{
    public static int Run(string[] args)
    {
        var cli = CliArgs.Parse("greeks", args, "jsonl");
        if (!cli.Has("jsonl"))
            throw new CliException("streamer greeks: --jsonl is required (usage: streamer greeks --jsonl, one JSON object per line on stdin)");
        cli.RejectUnknown();
        using var stdin = Console.OpenStandardInput();
        using var stdout = Console.OpenStandardOutput();
        JsonlGreeks.Run(stdin, stdout);
        return 0;
    }
}
