namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// The pipeline tests start shard threads that flood and spin; they run on their own, not beside
/// other test classes, so timing-sensitive tests elsewhere (slow-client detection, reconnects) do not
/// share the machine's two cores with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PipelineCollection
{
    public const string Name = "pipeline";
}
