using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Nats;

/// <summary>
/// deploy/nats/streamer.conf, run by a real nats-server: each role may do what docs say and the
/// server refuses the rest. Spoken in the NATS text protocol over a raw socket, so what is tested
/// is the server's enforcement of the shipped file, not any client's manners.
/// </summary>
public sealed class DeployConfigTests : IDisposable
{
    private static readonly Dictionary<string, string> Passwords = new()
    {
        ["STREAMER_NATS_PASSWORD"] = "streamer-pw-" + Guid.NewGuid().ToString("N"),
        ["EXECUTOR_NATS_PASSWORD"] = "executor-pw-" + Guid.NewGuid().ToString("N"),
        ["VIEWER_NATS_PASSWORD"] = "viewer-pw-" + Guid.NewGuid().ToString("N"),
    };

    private readonly NatsServerFixture _server = new(NatsSecurityMaterial.DeployConfigPath(), Passwords);

    public void Dispose() => _server.Dispose();

    [Fact]
    public void A_viewer_may_read_and_list_but_not_remove_or_add()
    {
        var viewer = Passwords["VIEWER_NATS_PASSWORD"];
        Assert.Contains("Permissions Violation for Publish to \"streamer.control.remove\"", Session("viewer", viewer, "PUB streamer.control.remove 2\r\n{}\r\n"), StringComparison.Ordinal);
        Assert.Contains("Permissions Violation for Publish to \"streamer.control.add\"", Session("viewer", viewer, "PUB streamer.control.add 2\r\n{}\r\n"), StringComparison.Ordinal);
        Assert.Contains("Permissions Violation for Publish to \"streamer.exits.SPY\"", Session("viewer", viewer, "PUB streamer.exits.SPY 2\r\n{}\r\n"), StringComparison.Ordinal);
        AssertAllowed(Session("viewer", viewer, "PUB streamer.control.list _INBOX.v 2\r\n{}\r\n", "SUB streamer.exits.> 1\r\n", "SUB streamer.heartbeat 2\r\n"));
    }

    [Fact]
    public void The_service_publishes_its_subjects_and_serves_control()
    {
        AssertAllowed(Session("streamer", Passwords["STREAMER_NATS_PASSWORD"],
            "SUB streamer.control.> 1\r\n", "SUB streamer.executions 2\r\n", "SUB $SRV.> 3\r\n", "SUB _STREAMER_ACK.abc.* 4\r\n",
            "PUB streamer.exits.SPY 2\r\n{}\r\n", "PUB streamer.snapshots.SPY 2\r\n{}\r\n", "PUB streamer.alerts.stale_feed 2\r\n{}\r\n", "PUB streamer.heartbeat 2\r\n{}\r\n"));
        Assert.Contains("Permissions Violation for Publish to \"streamer.executions\"",
            Session("streamer", Passwords["STREAMER_NATS_PASSWORD"], "PUB streamer.executions 2\r\n{}\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_executor_reports_executions_but_cannot_control_or_forge_exits()
    {
        var executor = Passwords["EXECUTOR_NATS_PASSWORD"];
        AssertAllowed(Session("executor", executor, "SUB streamer.exits.> 1\r\n", "PUB streamer.executions 2\r\n{}\r\n"));
        Assert.Contains("Permissions Violation for Publish to \"streamer.control.add\"", Session("executor", executor, "PUB streamer.control.add 2\r\n{}\r\n"), StringComparison.Ordinal);
        Assert.Contains("Permissions Violation for Publish to \"streamer.exits.SPY\"", Session("executor", executor, "PUB streamer.exits.SPY 2\r\n{}\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_password_is_refused()
    {
        Assert.Contains("Authorization Violation", Session("viewer", "not-the-password"), StringComparison.Ordinal);
        Assert.Contains("Authorization Violation", Session("nobody", Passwords["VIEWER_NATS_PASSWORD"]), StringComparison.Ordinal);
    }

    private static void AssertAllowed(string reply)
    {
        Assert.DoesNotContain("-ERR", reply, StringComparison.Ordinal);
        Assert.Contains("PONG", reply, StringComparison.Ordinal);
    }

    /// <summary>CONNECT as <paramref name="user"/>, the commands, then PING; everything the server said up to its PONG (or its closing the socket).</summary>
    private string Session(string user, string password, params string[] commands)
    {
        using var client = new TcpClient("127.0.0.1", _server.Port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 10_000;
        var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("INFO ", reader.ReadLine(), StringComparison.Ordinal);
        var connect = JsonSerializer.Serialize(new { user, pass = password, verbose = false, pedantic = false });
        var text = new StringBuilder("CONNECT ").Append(connect).Append("\r\n");
        foreach (var c in commands) text.Append(c);
        text.Append("PING\r\n");
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        stream.Write(bytes);
        var said = new StringBuilder();
        while (reader.ReadLine() is { } line)
        {
            said.AppendLine(line);
            if (line == "PONG" || line.Contains("Authorization Violation", StringComparison.Ordinal)) break;
        }
        return said.ToString();
    }
}
