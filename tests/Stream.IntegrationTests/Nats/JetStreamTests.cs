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
        // no stream yet: nobody replies, so there is no ack (no headers -> no 'no responders' status)
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
        Assert.Equal(ids, read.Select(m => ExitIdDeduplicator.ReadId(m.Data)).ToArray());
        Assert.Equal(Enumerable.Range(1, 50).Select(n => (ulong)n), read.Select(m => m.StreamSequence));
        Assert.Equal(ids.Select(i), read.Select(m => m.Subject));

        // a filter narrows it to one underlying
        var spyOnly = await JetStreamReader.ReadFromStartAsync(reader, NatsSubjects.ExitStream, "streamer.exits.SPY", TimeSpan.FromSeconds(10));
        Assert.Equal(ids.Where(x => i(x) == "streamer.exits.SPY"), spyOnly.Select(m => ExitIdDeduplicator.ReadId(m.Data)));

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

    [Theory]
    [InlineData("$JS.ACK.STREAMER_EXITS.abc.1.17.17.1795260417058734716.3", true, 17UL, 3UL)]
    [InlineData("$JS.ACK.dom.acchash.STREAMER_EXITS.abc.1.42.40.1795260417058734716.0.tok", true, 42UL, 0UL)]
    [InlineData("_INBOX.x", false, 0UL, 0UL)]
    [InlineData(null, false, 0UL, 0UL)]
    [InlineData("$JS.ACK.too.short", false, 0UL, 0UL)]
    public void Ack_subjects_give_stream_sequence_and_pending(string? reply, bool ok, ulong seq, ulong pending)
    {
        Assert.Equal(ok, JetStreamReader.TryParseAckSubject(reply, out var s, out var p));
        Assert.Equal(seq, s);
        Assert.Equal(pending, p);
    }

    [Fact]
    public void The_deduplicator_keeps_the_first_of_each_exit_id()
    {
        var d = new ExitIdDeduplicator();
        Assert.True(d.IsFirst("""{"position_id":"A","id":"A:1","legs":[{"id":"x"}]}"""u8, out var id));
        Assert.Equal("A:1", id);
        Assert.False(d.IsFirst("""{"id":"A:1"}"""u8, out _));
        Assert.True(d.IsFirst("""{"nested":{"id":"no"},"id":"A:2"}"""u8, out var second));
        Assert.Equal("A:2", second);
        Assert.Throws<FormatException>(() => d.IsFirst("""{"legs":[]}"""u8, out _));
        Assert.Throws<FormatException>(() => d.IsFirst("[1]"u8, out _));
    }
}
