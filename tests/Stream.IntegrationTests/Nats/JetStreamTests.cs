using System.Text;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Nats;

public sealed class JetStreamTests
{
    private static readonly TimeSpan Ack = TimeSpan.FromSeconds(5);

    private static byte[] Exit(string id) => Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","position_id":"P","underlying":"SPY"}""");

    [Fact]
    public async Task Ensuring_the_exit_stream_twice_creates_it_once()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);

        Assert.Null(await js.GetStreamInfoAsync(NatsSubjects.ExitStream));
        Assert.Equal(StreamEnsureOutcome.Created, await js.EnsureStreamAsync(ExitStream.Spec));
        await js.PublishAsync("streamer.exits.SPY", Exit("P:1"), Ack);
        Assert.Equal(StreamEnsureOutcome.Unchanged, await js.EnsureStreamAsync(ExitStream.Spec));

        var info = await js.GetStreamInfoAsync(NatsSubjects.ExitStream);
        Assert.NotNull(info);
        Assert.Equal(["streamer.exits.>"], info.Subjects);
        Assert.Equal("file", info.Storage);
        Assert.Equal("limits", info.Retention);
        Assert.Equal(1UL, info.Messages); // ensuring again kept the message
    }

    [Fact]
    public async Task The_replica_count_reaches_the_server_which_on_a_single_node_refuses_more_than_one()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        var refused = await Assert.ThrowsAsync<JetStreamApiException>(() => js.EnsureStreamAsync(ExitStream.Spec with { Replicas = 3 }));
        Assert.Contains("replicas", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await js.GetStreamInfoAsync(NatsSubjects.ExitStream));
        Assert.Equal(StreamEnsureOutcome.Created, await js.EnsureStreamAsync(ExitStream.Spec with { Replicas = 1 }));
    }

    [Fact]
    public async Task Ensuring_with_other_subjects_updates_the_stream_in_place()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        var narrow = new JetStreamStreamSpec("T_UPDATE", ["t.update.a"]);
        Assert.True(bus.IsConnected, bus.LastError);
        Assert.Equal(StreamEnsureOutcome.Created, await js.EnsureStreamAsync(narrow));
        await js.PublishAsync("t.update.a", Exit("a"), Ack);

        Assert.Equal(StreamEnsureOutcome.Updated, await js.EnsureStreamAsync(narrow with { Subjects = ["t.update.a", "t.update.b"] }));
        var ack = await js.PublishAsync("t.update.b", Exit("b"), Ack);
        Assert.Equal(2UL, ack.Sequence);
        var aged = narrow with { Subjects = ["t.update.a", "t.update.b"], MaxAge = TimeSpan.FromDays(30) };
        Assert.Equal(StreamEnsureOutcome.Updated, await js.EnsureStreamAsync(aged));
        Assert.Equal(TimeSpan.FromDays(30), (await js.GetStreamInfoAsync("T_UPDATE"))!.MaxAge);
        Assert.Equal(StreamEnsureOutcome.Unchanged, await js.EnsureStreamAsync(aged));
        await Assert.ThrowsAsync<JetStreamApiException>(() => js.EnsureStreamAsync(narrow with { Storage = "memory" }));
    }

    [Fact]
    public async Task Publish_returns_the_stream_and_an_increasing_sequence()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);

        var a = await js.PublishAsync("streamer.exits.SPY", Exit("P:1"), Ack);
        var b = await js.PublishAsync("streamer.exits.META", Exit("P:2"), Ack);
        Assert.Equal(NatsSubjects.ExitStream, a.Stream);
        Assert.Equal(1UL, a.Sequence);
        Assert.Equal(2UL, b.Sequence);
        Assert.False(a.Duplicate);
    }

    [Fact]
    public async Task Publish_to_a_subject_no_stream_captures_is_not_acked()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        // no stream yet: nobody replies ('no responders'), so there is no ack
        await Assert.ThrowsAsync<TimeoutException>(() => js.PublishAsync("streamer.exits.SPY", Exit("P:1"), TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task A_late_subscriber_reads_every_exit_in_order_and_a_restarted_server_still_has_them()
    {
        using var server = new NatsServerFixture();
        var ids = Enumerable.Range(1, 50).Select(i => $"P{i % 3}:{i}").ToArray();
        using (var bus = await TestBus.ConnectedAsync(server.Url))
        {
            var js = new JetStreamClient(bus);
            await js.EnsureStreamAsync(ExitStream.Spec);
            foreach (var id in ids) await js.PublishAsync(i(id), Exit(id), Ack);
        }

        server.Stop();
        server.Start(); // file storage: the stream and its messages outlive the server process

        using var late = await TestBus.ConnectedAsync(server.Url);
        var reader = new JetStreamClient(late);
        var read = await JetStreamReader.ReadFromStartAsync(reader, NatsSubjects.ExitStream, NatsSubjects.ExitsWildcard, TimeSpan.FromSeconds(10));
        Assert.Equal(ids, read.Select(m => ExitId.Read(m.Data)).ToArray());
        Assert.Equal(Enumerable.Range(1, 50).Select(n => (ulong)n), read.Select(m => m.StreamSequence));
        Assert.Equal(ids.Select(i), read.Select(m => m.Subject));

        // a filter narrows it to one underlying
        var spyOnly = await JetStreamReader.ReadFromStartAsync(reader, NatsSubjects.ExitStream, "streamer.exits.SPY", TimeSpan.FromSeconds(10));
        Assert.Equal(ids.Where(x => i(x) == "streamer.exits.SPY"), spyOnly.Select(m => ExitId.Read(m.Data)));

        static string i(string id) => id.StartsWith("P0", StringComparison.Ordinal) ? "streamer.exits.SPY" : "streamer.exits.META";
    }

    [Fact]
    public async Task Reading_an_empty_stream_returns_nothing()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        Assert.Empty(await JetStreamReader.ReadFromStartAsync(js, NatsSubjects.ExitStream, null, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task The_same_exit_published_twice_is_stored_once()
    {
        // a lost ack (or a restart) makes the outbox publish an exit again with the same id: the
        // server drops the repeat within the duplicate window and acks it as a duplicate
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        Assert.Equal(JetStreamStreamSpec.DefaultDuplicateWindow, (await js.GetStreamInfoAsync(NatsSubjects.ExitStream))!.DuplicateWindow);

        var first = await js.PublishAsync("streamer.exits.SPY", Exit("P:1"), Ack, "P:1");
        var again = await js.PublishAsync("streamer.exits.SPY", Exit("P:1"), Ack, "P:1");
        var second = await js.PublishAsync("streamer.exits.SPY", Exit("P:2"), Ack, "P:2");
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Sequence, again.Sequence); // the ack names the stored copy
        Assert.Equal(2UL, second.Sequence);

        // the same through the outbox's path (pinned connection), after a restart of the server
        server.Stop();
        server.Start();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), bus.LastError);
        IConnectionBoundRequests pinned = bus;
        await Waits.UntilAsync(() => pinned.CurrentConnection > 0, "a pinned connection opens");
        var resent = await js.PublishOnAsync(pinned.CurrentConnection, "streamer.exits.SPY", Exit("P:2"), Ack, "P:2");
        Assert.True(resent.Duplicate);

        var read = await JetStreamReader.ReadExitsFromStartAsync(js);
        Assert.Equal(["P:1", "P:2"], read.Select(m => ExitId.Read(m.Data)));
    }

    [Fact]
    public async Task The_duplicate_window_is_a_setting_of_the_stream()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        await js.EnsureStreamAsync(ExitStream.Spec);
        var longer = ExitStream.Spec with { DuplicateWindow = TimeSpan.FromMinutes(30) };
        Assert.Equal(StreamEnsureOutcome.Updated, await js.EnsureStreamAsync(longer));
        Assert.Equal(TimeSpan.FromMinutes(30), (await js.GetStreamInfoAsync(NatsSubjects.ExitStream))!.DuplicateWindow);
        Assert.Equal(StreamEnsureOutcome.Unchanged, await js.EnsureStreamAsync(longer));
    }

    [Fact]
    public void An_exit_id_is_its_top_level_id()
    {
        Assert.Equal("A:1", ExitId.Read("""{"position_id":"A","id":"A:1","legs":[{"id":"x"}]}"""u8));
        Assert.Equal("A:2", ExitId.Read("""{"nested":{"id":"no"},"id":"A:2"}"""u8));
        Assert.Throws<FormatException>(() => ExitId.Read("""{"legs":[]}"""u8));
        Assert.Throws<FormatException>(() => ExitId.Read("[1]"u8));
    }
}
