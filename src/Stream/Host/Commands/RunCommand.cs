using Streamer.Stream.Host.Hosting;
namespace Streamer.Stream.Host.Commands;

/// <summary><c>streamer run [--config FILE] [--Section:Key=value ...]</c>: the live service (docs/run.md).</summary>
internal static class RunCommand
{
    public static int Run(string[] args) => LiveServiceHost.Run(args);
}
