using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Tests.Service;

public sealed class StreamerSettingsTests
{
    private static StreamerSettings Load(TempDirectory dir, params string[] args) =>
        StreamerSettings.From(StreamerSettings.BuildConfiguration(args, dir.Path), dir.Path);

    [Fact]
    public void Appsettings_then_config_file_then_environment_then_arguments_later_ones_winning()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("appsettings.json"), """{"Nats":{"Url":"nats://127.0.0.1:1111"},"Feed":{"Speed":2},"Heartbeat":{"IntervalSeconds":7},"Outbox":{"Capacity":50}}""");
        File.WriteAllText(dir.File("live.json"), """{"Feed":{"Speed":3},"Journal":{"Path":"from-config.db"}}""");
        File.WriteAllText(dir.File("tape.csv"), "time,symbol,bid,ask,last\n");
        const string envKey = "Outbox__Capacity";
        Environment.SetEnvironmentVariable(envKey, "60");
        try
        {
            var s = Load(dir, "--config", "live.json", "--Nats:Url=nats://127.0.0.1:2222", "--Feed:Tape=tape.csv");
            Assert.Equal("nats://127.0.0.1:2222", s.NatsUrl);      // argument over appsettings
            Assert.Equal(3, s.FeedSpeed);                          // config file over appsettings
            Assert.Equal(dir.File("from-config.db"), s.JournalPath);
            Assert.Equal(60, s.OutboxCapacity);                    // environment over appsettings
            Assert.Equal(TimeSpan.FromSeconds(7), s.HeartbeatInterval);
            Assert.Equal(dir.File("tape.csv"), s.FeedTape);

            var argWins = Load(dir, "--Outbox:Capacity=70");
            Assert.Equal(70, argWins.OutboxCapacity);               // argument over environment
        }
        finally
        {
            Environment.SetEnvironmentVariable(envKey, null);
        }
    }

    [Fact]
    public void Defaults_without_any_configuration()
    {
        using var dir = new TempDirectory();
        var s = Load(dir);
        Assert.Equal("nats://127.0.0.1:4222", s.NatsUrl);
        Assert.Equal(1, s.FeedSpeed);
        Assert.Null(s.FeedTape);
        Assert.Equal(dir.File("streamer-journal.db"), s.JournalPath);
    }

    [Theory]
    [InlineData("--Feed:Speed=-1", "Feed:Speed")]
    [InlineData("--Feed:Speed=fast", "Feed:Speed: 'fast' is not a number")]
    [InlineData("--Feed:Tape=missing.csv", "Feed:Tape: file 'missing.csv' not found")]
    [InlineData("--Positions:File=nope.json", "Positions:File: file 'nope.json' not found")]
    [InlineData("--Books:File=nope.yaml", "Books:File")]
    [InlineData("--Nats:Url=http://127.0.0.1:4222", "Nats:Url")]
    [InlineData("--Outbox:Capacity=0", "Outbox:Capacity")]
    [InlineData("--Heartbeat:IntervalSeconds=0", "Heartbeat:IntervalSeconds")]
    [InlineData("positional", "unexpected argument 'positional'")]
    [InlineData("--config=absent.json", "config file 'absent.json' not found")]
    public void Bad_settings_are_one_clear_error_naming_the_key(string arg, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SettingsException>(() => Load(dir, arg));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_appsettings_file_is_a_settings_error()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("appsettings.json"), "{ not json");
        Assert.Throws<SettingsException>(() => Load(dir));
    }
}
