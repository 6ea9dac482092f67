using Streamer.Stream.Contracts;

namespace Streamer.Stream.Tests.Contracts;

/// <summary>One subject token per underlying, whatever its name: a '.' would split it, a wildcard or a space would make the subject invalid.</summary>
public sealed class NatsSubjectsTests
{
    [Theory]
    [InlineData("SPY", "streamer.exits.SPY")]
    [InlineData("BRK.B", "streamer.exits.BRK_B")]
    [InlineData("BF/B", "streamer.exits.BF/B")]
    [InlineData("A..B", "streamer.exits.A__B")]
    [InlineData("A*", "streamer.exits.A_")]
    [InlineData("A >", "streamer.exits.A__")]
    [InlineData("", "streamer.exits._")]
    public void An_underlying_is_always_exactly_one_valid_token(string underlying, string subject)
    {
        Assert.Equal(subject, NatsSubjects.Exits(underlying));
        Assert.Equal(subject.Replace("exits", "snapshots", StringComparison.Ordinal), NatsSubjects.Snapshots(underlying));
        Assert.Equal(3, subject.Split('.').Length);
    }
}
