using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Contracts;
using Streamer.Stream.Alpaca;
using Streamer.Stream.Journal.Outbox;

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
    public void A_cluster_is_named_by_a_comma_separated_list_of_its_nodes_and_reaches_the_client_whole()
    {
        using var dir = new TempDirectory();
        var s = Load(dir, "--Nats:Url=nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224");
        Assert.Equal(["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"], s.Nats.Urls);
        Assert.Equal("nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224", s.Nats.ToBusOptions(_ => null, dir.Path).Url);
        Assert.False(s.Nats.UsesTls);
        Assert.True(Load(dir, "--Nats:Url=nats://127.0.0.1:4222,tls://127.0.0.1:4223").Nats.UsesTls);
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
    [InlineData("--Nats:Url=nats://127.0.0.1:4222, nats://127.0.0.1", "Nats:Url: 'nats://127.0.0.1' (in 'nats://127.0.0.1:4222, nats://127.0.0.1') is not a nats://host:port address")]
    [InlineData("--Outbox:Capacity=0", "Outbox:Capacity")]
    [InlineData("--Nats:DuplicateWindow=0", "Nats:DuplicateWindow")]
    [InlineData("--Nats:DuplicateWindow=soon", "Nats:DuplicateWindow")]
    [InlineData("--Heartbeat:IntervalSeconds=0", "Heartbeat:IntervalSeconds")]
    [InlineData("--Feed:ExitWhenDone=maybe", "Feed:ExitWhenDone: 'maybe' is not true or false")]
    [InlineData("--Pipeline:Shards=1.5", "Pipeline:Shards: '1.5' is not a whole number")]
    [InlineData("--Pipeline:Shards=0", "Pipeline:Shards: 0 is outside 1..256")]
    [InlineData("--Feed:StaleAfter=soon", "Feed:StaleAfter: 'soon' is not a number of seconds or a hh:mm:ss duration")]
    [InlineData("--Nats:DuplicateWindow=0", "Nats:DuplicateWindow: 0 s is outside 1..86400 seconds")]
    [InlineData("--Nats:DuplicateWindow=86401", "Nats:DuplicateWindow: 86401 s is outside 1..86400 seconds")]
    [InlineData("--Nats:ExitStreamReplicas=0", "Nats:ExitStreamReplicas: 0 is outside 1..5")]
    [InlineData("--Nats:ExitStreamReplicas=6", "Nats:ExitStreamReplicas: 6 is outside 1..5")]
    [InlineData("--Journal:RestoreState=sometimes", "Journal:RestoreState: 'sometimes' is not auto, true or false")]
    [InlineData("--Journal:StateSaveMilliseconds=-1", "Journal:StateSaveMilliseconds")]
    [InlineData("--Shutdown:DrainSeconds=NaN", "Shutdown:DrainSeconds: 'NaN' is not a number")]
    [InlineData("--Nats:Ulr=nats://127.0.0.1:4222", "unknown setting Nats:Ulr (known in Nats: Url, DuplicateWindow, User, PasswordFile")]
    [InlineData("--Outbox:Capacty=5", "unknown setting Outbox:Capacty")]
    [InlineData("--Feed:Speed:Max=5", "unknown setting Feed:Speed:Max")]
    [InlineData("positional", "unexpected argument 'positional'")]
    [InlineData("--config=absent.json", "config file 'absent.json' not found")]
    [InlineData("--Exits:Durability=fsync-later", "Exits:Durability: 'fsync-later' is not one of publish-first")]
    [InlineData("--Pipeline:Wait=nap", "Pipeline:Wait: 'nap' is not one of block, spin, yield, busy")]
    [InlineData("--Pipeline:YieldMicroseconds=-1", "Pipeline:YieldMicroseconds")]
    public void Bad_settings_are_one_clear_error_naming_the_key(string arg, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SettingsException>(() => Load(dir, arg));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_read_as_seconds_or_hh_mm_ss_and_keys_ignore_case()
    {
        using var dir = new TempDirectory();
        var s = Load(dir, "--Feed:StaleAfter=00:00:45", "--pipeline:unmonitoredafter=2.5", "--NATS:DUPLICATEWINDOW=00:05:00", "--Snapshots:Interval=0");
        Assert.Equal(TimeSpan.FromSeconds(45), s.Feed.StaleAfter);
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.Pipeline.UnmonitoredAfter);
        Assert.Equal(TimeSpan.FromMinutes(5), s.Nats.DuplicateWindow);
        Assert.Equal(TimeSpan.Zero, s.Snapshots.Interval);
    }

    [Fact]
    public void Every_default_is_the_documented_one()
    {
        using var dir = new TempDirectory();
        var s = Load(dir);
        Assert.Equal(TimeSpan.FromMinutes(10), s.Nats.DuplicateWindow);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Feed.StaleAfter);
        Assert.False(s.Feed.ExitWhenDone);
        Assert.Equal(Math.Min(Environment.ProcessorCount, 4), s.Pipeline.Shards);
        Assert.Equal(8192, s.Pipeline.ShardCapacity);
        Assert.Equal(TimeSpan.FromSeconds(60), s.Pipeline.UnmonitoredAfter);
        Assert.Equal(50, s.Pipeline.SpinMicroseconds);
        Assert.Equal("spin", s.Pipeline.Wait);
        Assert.Equal((TimeSpan.FromMicroseconds(50), TimeSpan.Zero), (s.Pipeline.WaitSpin, s.Pipeline.WaitYield));
        Assert.Equal(ExitDurability.PublishFirst, s.Exits.Mode);
        Assert.True(s.Pipeline.LatencyInPayload);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Snapshots.Interval);
        Assert.Equal("auto", s.Journal.RestoreState);
        Assert.Equal(1000, s.Journal.StateSaveMilliseconds);
        Assert.Equal(10_000, s.OutboxCapacity);
        Assert.Equal(TimeSpan.FromSeconds(5), s.HeartbeatInterval);
        Assert.Equal("day_trade", s.Intake.DefaultBook);
        Assert.Equal(5, s.Shutdown.DrainSeconds);
    }

    [Fact]
    public void The_sample_appsettings_binds_without_an_unknown_key()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(RepoRoot(), "src", "Stream", "appsettings.sample.json"), dir.File("appsettings.json"));
        var configuration = StreamerSettings.BuildConfiguration([], dir.Path);
        var s = StreamerSettings.From(configuration, dir.Path);
        Assert.Equal("nats://127.0.0.1:4222", s.NatsUrl);
        var alpaca = SettingsBinder.Bind<AlpacaOptions>(configuration, "Alpaca");
        Assert.Null(alpaca.DataUrl); // "" = unset
    }

    [Fact]
    public void A_broken_appsettings_file_is_a_settings_error()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("appsettings.json"), "{ not json");
        Assert.Throws<SettingsException>(() => Load(dir));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Streamer.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Streamer.sln not found above " + AppContext.BaseDirectory);
    }
}
