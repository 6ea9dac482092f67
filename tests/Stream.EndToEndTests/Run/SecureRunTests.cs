using System.Text;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run</c> as deployed: deploy/nats/streamer.conf with its TLS block on (client
/// certificates verified), the service user's password from <c>$STREAMER_NATS_PASSWORD</c>. The
/// least-privilege service user is enough for the whole run (exit stream, JetStream publishes with
/// dedupe, the tail read at start), a viewer receives every exit, and no secret is printed.
/// </summary>
public sealed class SecureRunTests
{
    [Fact]
    public async Task A_run_over_verified_TLS_with_the_password_from_the_environment_decides_every_exit_and_prints_no_secret()
    {
        var expected = RunTestData.Replay(RunTestData.DemoPositions, RunTestData.DemoTape);
        using var material = new NatsSecurityMaterial();
        var passwords = new Dictionary<string, string>
        {
            ["STREAMER_NATS_PASSWORD"] = material.NewSecret("streamer-pw"),
            ["EXECUTOR_NATS_PASSWORD"] = material.NewSecret("executor-pw"),
            ["VIEWER_NATS_PASSWORD"] = material.NewSecret("viewer-pw"),
        };
        using var server = new NatsServerFixture(material.DeployConfigWithTls(NatsSecurityMaterial.DeployConfigPath()), passwords);
        using var viewer = new NatsBus(new NatsBusOptions
        {
            Url = server.Url,
            Auth = NatsAuth.UserPassword("viewer", passwords["VIEWER_NATS_PASSWORD"]),
            Tls = new NatsTls(material.CaFile, material.ClientCertFile, material.ClientKeyFile),
        });
        Assert.True(await viewer.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), viewer.LastError);
        using var exits = new Collector(viewer, NatsSubjects.ExitsWildcard);
        using var dir = new TempDirectory();

        var (code, output) = await RunAsync(dir.Path, new Dictionary<string, string> { ["STREAMER_NATS_PASSWORD"] = passwords["STREAMER_NATS_PASSWORD"] },
            "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Nats:User=streamer",
            $"--Nats:TlsCaFile={material.CaFile}", $"--Nats:TlsCertFile={material.ClientCertFile}", $"--Nats:TlsKeyFile={material.ClientKeyFile}",
            $"--Feed:Tape={RunTestData.DemoTape}", "--Feed:Speed=0", $"--Positions:File={RunTestData.DemoPositions}", "--Feed:ExitWhenDone=true");
        Assert.True(code == 0, output + "\nserver:\n" + server.Log);
        await Waits.UntilAsync(() => exits.Count >= expected.Count, "every exit reaches the viewer");
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), exits.Messages.Select(m => ExitId.Read(m.Data)).Order(StringComparer.Ordinal));
        Assert.Contains("auth user/password (streamer)", output, StringComparison.Ordinal);
        foreach (var secret in material.Secrets)
            Assert.False(output.Contains(secret, StringComparison.Ordinal), $"the output holds a secret ({secret[..6]}…)");
    }

    [Theory]
    [InlineData("--Nats:Password=hunter2", "Nats:Password: a secret is not taken as a setting or on the command line")]
    [InlineData("--Nats:Token=hunter2", "Nats:Token: a secret is not taken as a setting or on the command line")]
    public async Task A_secret_on_the_command_line_exits_2_without_repeating_it(string setting, string named)
    {
        using var dir = new TempDirectory();
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", $"--Feed:Tape={RunTestData.DemoTape}", setting);
        Assert.True(code == 2, output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("streamer run: " + named, line, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = StreamerProcess.Start(directory, environment, args);
        try
        {
            return (await process.WaitForExitAsync(TimeSpan.FromMinutes(2)), process.Output);
        }
        catch (TimeoutException e)
        {
            return (-1, e.Message);
        }
    }
}
