using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Nats;

/// <summary>
/// The service against nats-servers that require TLS and authentication (docs/nats.md "Security"):
/// it connects with each auth method; a wrong password or an untrusted certificate is an error in
/// the log and a retry, never a crash; a viewer (deploy/nats/streamer.conf) cannot remove a
/// position; and no secret ever appears in the log, the heartbeat or the status reply.
/// </summary>
public sealed class NatsSecurityTests : IDisposable
{
    private const string Position = """
        { "id": "META-1", "book": "day_trade", "opened_at": "2026-01-29T16:36:38Z",
          "underlying_entry": 720.93, "stop_underlying": 720.60, "target_underlying": 726.37,
          "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ] }
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly NatsSecurityMaterial _m = new();
    private readonly Dictionary<string, string> _passwords;

    public NatsSecurityTests()
    {
        _passwords = new()
        {
            ["STREAMER_NATS_PASSWORD"] = _m.NewSecret("streamer-pw"),
            ["EXECUTOR_NATS_PASSWORD"] = _m.NewSecret("executor-pw"),
            ["VIEWER_NATS_PASSWORD"] = _m.NewSecret("viewer-pw"),
        };
        _m.Secrets.Add(_m.NKeySeed);
    }

    public void Dispose() => _m.Dispose();

    [Fact]
    public async Task User_and_password_over_verified_TLS_and_a_viewer_cannot_remove_a_position()
    {
        using var server = DeployServerWithTls();
        await using var service = await StartAsync(server, [.. UserArgs("streamer", _passwords["STREAMER_NATS_PASSWORD"]), .. ClientCertArgs()], prepopulate: true);
        Assert.True(await service.Bus.WaitUntilConnectedAsync(Wait), service.Log());

        using var viewer = Client(server, NatsAuth.UserPassword("viewer", _passwords["VIEWER_NATS_PASSWORD"]));
        Assert.True(await viewer.WaitUntilConnectedAsync(Wait), viewer.LastError);
        var problems = new ConcurrentQueue<string>();
        viewer.Problem += problems.Enqueue;
        await TestBus.UntilAnsweredAsync(viewer, "streamer.control.status");
        Assert.Equal(["META-1"], await ListAsync(viewer));
        // discovery is read-only: the viewer may ping the control service
        var ping = await viewer.RequestAsync("$SRV.PING.streamer", "{}"u8.ToArray(), Wait);
        Assert.Equal("streamer", JsonDocument.Parse(ping.Data).RootElement.GetProperty("name").GetString());

        // the server refuses the publish: no reply ever comes, the violation is reported, the position stays
        await Assert.ThrowsAsync<TimeoutException>(() => viewer.RequestAsync("streamer.control.remove", """{"id":"META-1"}"""u8.ToArray(), TimeSpan.FromSeconds(2)));
        await Waits.UntilAsync(() => problems.Any(p => p.Contains("Permissions Violation for Publish to \"streamer.control.remove\"", StringComparison.Ordinal)), "the viewer told of the refused publish");
        Assert.Equal(["META-1"], await ListAsync(viewer));
        Assert.Equal(["META-1"], service.Journal.Positions.OpenPositionIds().Order(StringComparer.Ordinal));

        await AssertNoSecretsAsync(service, viewer);
    }

    [Fact]
    public async Task An_nkey_seed_file_over_verified_TLS()
    {
        using var server = DeployServerWithTls();
        await using var service = await StartAsync(server, [$"--Nats:NKeySeedFile={_m.NKeySeedFile}", .. ClientCertArgs()]);
        Assert.True(await service.Bus.WaitUntilConnectedAsync(Wait), service.Log());
        using var viewer = Client(server, NatsAuth.UserPassword("viewer", _passwords["VIEWER_NATS_PASSWORD"]));
        await AssertNoSecretsAsync(service, viewer);
        Assert.Contains("auth nkey", service.Log(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_file_over_TLS()
    {
        var token = _m.NewSecret("token");
        using var server = new NatsServerFixture(_m.TokenConfig(token), null);
        var tokenFile = _m.Write("token.txt", token + "\n");
        await using var service = await StartAsync(server, [$"--Nats:TokenFile={tokenFile}", $"--Nats:TlsCaFile={_m.CaFile}"]);
        Assert.True(await service.Bus.WaitUntilConnectedAsync(Wait), service.Log());
        using var other = Client(server, NatsAuth.WithToken(token), clientCertificate: false);
        await AssertNoSecretsAsync(service, other);
    }

    [Fact]
    public async Task A_creds_file_on_an_operator_mode_server_with_JetStream()
    {
        var (config, creds) = _m.OperatorMode();
        using var server = new NatsServerFixture(config, null);
        await using var service = await StartAsync(server, [$"--Nats:CredsFile={creds}", $"--Nats:TlsCaFile={_m.CaFile}"]);
        Assert.True(await service.Bus.WaitUntilConnectedAsync(Wait), service.Log() + server.Log);
        using var other = Client(server, NatsAuth.WithCredsFile(creds), clientCertificate: false);
        Assert.True(await other.WaitUntilConnectedAsync(Wait), other.LastError);
        // the exits stream exists: the account's JetStream works for the service
        await Waits.UntilAsync(() => service.Status().GetProperty("nats").GetString() == "connected", "the service reports NATS connected");
        Assert.Equal(StreamEnsureOutcome.Created, await new JetStreamClient(service.Bus).EnsureStreamAsync(new JetStreamStreamSpec("CREDS_CHECK", ["check.>"])));
        Assert.NotNull(await new JetStreamClient(other).GetStreamInfoAsync("CREDS_CHECK"));
        await AssertNoSecretsAsync(service, other);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_and_a_retry_not_a_crash()
    {
        using var server = DeployServerWithTls();
        var wrong = _m.NewSecret("wrong-pw");
        await using var service = await StartAsync(server, [.. UserArgs("streamer", wrong), .. ClientCertArgs()]);
        await Waits.UntilAsync(() => Count(service.Log(), "Authorization Violation") >= 1 && service.Problems >= 2, "refused, and tried again");
        Assert.True(service.Log().Contains("NATS nats://127.0.0.1:" + server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": ", StringComparison.Ordinal), service.Log());
        Assert.False(service.Bus.IsConnected);
        Assert.Equal("connecting", service.Status().GetProperty("nats").GetString());
        AssertNoSecret(service.Log(), "the log");
        Assert.DoesNotContain(wrong, service.Log(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused_by_the_server_and_retried()
    {
        using var server = DeployServerWithTls();
        await using var service = await StartAsync(server, [.. UserArgs("streamer", _passwords["STREAMER_NATS_PASSWORD"]),
            $"--Nats:TlsCaFile={_m.CaFile}", $"--Nats:TlsCertFile={_m.StrangerCertFile}", $"--Nats:TlsKeyFile={_m.StrangerKeyFile}"]);
        await Waits.UntilAsync(() => service.Problems >= 2, "refused, and tried again: " + service.Log());
        Assert.False(service.Bus.IsConnected);
        Assert.True(service.Log().Contains("connect failed", StringComparison.Ordinal) && service.Log().Contains("bad certificate", StringComparison.Ordinal), service.Log());
        AssertNoSecret(service.Log(), "the log");
    }

    [Fact]
    public async Task A_server_certificate_the_client_does_not_trust_is_refused_and_retried()
    {
        using var server = DeployServerWithTls();
        await using var service = await StartAsync(server, [.. UserArgs("streamer", _passwords["STREAMER_NATS_PASSWORD"]),
            $"--Nats:TlsCaFile={_m.StrangerCaFile}", $"--Nats:TlsCertFile={_m.ClientCertFile}", $"--Nats:TlsKeyFile={_m.ClientKeyFile}"]);
        await Waits.UntilAsync(() => service.Problems >= 2, "refused, and tried again: " + service.Log());
        Assert.False(service.Bus.IsConnected);
        Assert.True(service.Log().Contains("connect failed", StringComparison.Ordinal) && service.Log().Contains("TLS authentication failed", StringComparison.Ordinal), service.Log());
        AssertNoSecret(service.Log(), "the log");
    }

    [Theory]
    [InlineData("--Nats:Password=hunter2", "Nats:Password: a secret is not taken as a setting or on the command line")]
    [InlineData("--Nats:Token=hunter2", "Nats:Token: a secret is not taken as a setting or on the command line")]
    [InlineData("--Nats:Url=nats://me:hunter2@127.0.0.1:4222", "Nats:Url: credentials in the URL are refused")]
    [InlineData("--Nats:PasswordFile=pw.txt", "Nats:PasswordFile: needs Nats:User")]
    [InlineData("--Nats:TlsCertFile=c.pem", "Nats:TlsCertFile: needs Nats:TlsKeyFile")]
    [InlineData("--Nats:CredsFile=missing.creds", "Nats:CredsFile: file 'missing.creds' not found")]
    public void Secrets_as_settings_and_incomplete_security_settings_are_refused_naming_the_key(string arg, string error)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SettingsException>(() => StreamerService.CreateHost([arg, "--Journal:Path=j.db"], dir.Path, logging: _ => { }));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_auth_methods_at_once_are_refused()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SettingsException>(() => StreamerService.CreateHost(
            ["--Nats:User=streamer", $"--Nats:NKeySeedFile={_m.NKeySeedFile}", "--Journal:Path=j.db"], dir.Path, logging: _ => { }));
        Assert.Contains("only one NATS auth method", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_without_a_password_file_or_variable_is_refused()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<SettingsException>(() => new NatsOptions { User = "streamer" }.ToBusOptions(_ => null, dir.Path));
        Assert.Contains("Nats:User: 'streamer' has no password: set Nats:PasswordFile or $STREAMER_NATS_PASSWORD", e.Message, StringComparison.Ordinal);
        var fromVariable = new NatsOptions { User = "streamer" }.ToBusOptions(v => v == "STREAMER_NATS_PASSWORD" ? "s3cret" : null, dir.Path);
        Assert.Equal("user/password (streamer)", fromVariable.Auth!.ToString());
        Assert.DoesNotContain("s3cret", fromVariable.ToString(), StringComparison.Ordinal); // a record printed whole leaks nothing
    }

    // ---- plumbing

    /// <summary>deploy/nats/streamer.conf with TLS on (client certificates verified), the three users' passwords set.</summary>
    private NatsServerFixture DeployServerWithTls() => new(_m.DeployConfigWithTls(NatsSecurityMaterial.DeployConfigPath()), _passwords);

    private string[] UserArgs(string user, string password) => [$"--Nats:User={user}", $"--Nats:PasswordFile={_m.Write(user + "-" + Guid.NewGuid().ToString("N") + ".pw", password + "\n")}"];

    private string[] ClientCertArgs() => [$"--Nats:TlsCaFile={_m.CaFile}", $"--Nats:TlsCertFile={_m.ClientCertFile}", $"--Nats:TlsKeyFile={_m.ClientKeyFile}"];

    private NatsBus Client(NatsServerFixture server, NatsAuth auth, bool clientCertificate = true) => new(new NatsBusOptions
    {
        Url = server.Url,
        Name = "test-client",
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        Auth = auth,
        Tls = clientCertificate ? new NatsTls(_m.CaFile, _m.ClientCertFile, _m.ClientKeyFile) : new NatsTls(_m.CaFile, null, null),
    });

    private static async Task<List<string>> ListAsync(IMessageBus bus)
    {
        var reply = await bus.RequestAsync("streamer.control.list", "{}"u8.ToArray(), Wait);
        return [.. JsonDocument.Parse(reply.Data).RootElement.GetProperty("positions").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>the log, a heartbeat and the status reply (asked by <paramref name="client"/>) hold no secret.</summary>
    private async Task AssertNoSecretsAsync(RunningService service, IMessageBus client)
    {
        Assert.True(await client.WaitUntilConnectedAsync(Wait), client.LastError);
        var beats = new BlockingCollection<byte[]>();
        using (client.Subscribe(NatsSubjects.Heartbeat, m => beats.Add(m.Data)))
        {
            Assert.True(beats.TryTake(out var beat, Wait), "no heartbeat");
            AssertNoSecret(Encoding.UTF8.GetString(beat), "the heartbeat");
        }
        await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
        var status = await client.RequestAsync("streamer.control.status", "{}"u8.ToArray(), Wait);
        Assert.True(JsonDocument.Parse(status.Data).RootElement.GetProperty("ok").GetBoolean());
        AssertNoSecret(Encoding.UTF8.GetString(status.Data), "the status reply");
        AssertNoSecret(service.Status().ToString(), "the status report");
        AssertNoSecret(service.Log(), "the log");
        Assert.Contains("NATS nats://127.0.0.1:", service.Log(), StringComparison.Ordinal); // the log does say where and how
    }

    private void AssertNoSecret(string text, string where)
    {
        foreach (var secret in _m.Secrets)
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{where} holds a secret ({secret[..6]}…)");
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private static async Task<RunningService> StartAsync(NatsServerFixture server, string[] natsArgs, bool prepopulate = false)
    {
        var dir = new TempDirectory();
        if (prepopulate)
            using (var journal = JournalDatabase.Open(dir.File("j.db")))
                journal.Positions.OpenPosition("META-1", Position, 1);
        var log = new CapturedLog();
        var host = StreamerService.CreateHost([$"--Nats:Url={server.Url}", "--Journal:Path=j.db", "--Heartbeat:IntervalSeconds=0.2", .. natsArgs], dir.Path,
            logging: b => b.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        var service = new RunningService(host, dir, log);
        await host.StartAsync();
        return service;
    }

    private sealed class RunningService : IAsyncDisposable
    {
        private readonly IHost _host;
        private readonly TempDirectory _dir;
        private readonly CapturedLog _log;
        private int _problems;

        public RunningService(IHost host, TempDirectory dir, CapturedLog log)
        {
            _host = host;
            _dir = dir;
            _log = log;
            Bus = host.Services.GetRequiredService<IMessageBus>();
            Bus.Problem += _ => Interlocked.Increment(ref _problems);
            Journal = host.Services.GetRequiredService<JournalDatabase>();
        }

        public IMessageBus Bus { get; }

        public JournalDatabase Journal { get; }

        public int Problems => Volatile.Read(ref _problems);

        public string Log() => _log.Text;

        public JsonElement Status() =>
            JsonDocument.Parse(ServiceJson.Write(w => _host.Services.GetRequiredService<StatusReport>().Write(w, 0))).RootElement.Clone();

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            if (_host is IAsyncDisposable d) await d.DisposeAsync();
            _dir.Dispose();
        }
    }

    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._text) owner._text.Append(logLevel).Append(' ').Append(category).Append(": ").AppendLine(formatter(state, exception)).Append(exception);
            }
        }
    }
}
