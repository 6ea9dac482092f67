using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Streamer.Stream.Tests.Infrastructure;

/// <summary>
/// Three real <c>nats-server</c> nodes (n1..n3) routed to each other on loopback ports, JetStream on each, so
/// streams can keep three replicas and a node can be killed under a running client. Each node is a
/// <see cref="NatsServerFixture"/> on a configuration naming its own cluster port and its two peers' routes.
/// </summary>
public sealed class NatsClusterFixture : IDisposable
{
    private readonly string _configDirectory = Directory.CreateTempSubdirectory("streamer-nats-cluster-").FullName;
    private readonly List<NatsServerFixture> _nodes = [];

    public NatsClusterFixture(int nodes = 3)
    {
        var routePorts = Enumerable.Range(0, nodes).Select(_ => FreePort()).ToArray();
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                var routes = string.Join(", ", routePorts.Where((_, j) => j != i).Select(p => $"\"nats-route://127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}\""));
                var file = Path.Combine(_configDirectory, $"n{i + 1}.conf");
                // store_dir is replaced by each fixture's own temp store; the port given here is its route port
                File.WriteAllText(file, $$"""
                    server_name: n{{i + 1}}
                    jetstream { store_dir: "placeholder" }
                    cluster {
                      name: streamer-test
                      listen: 127.0.0.1:{{routePorts[i].ToString(CultureInfo.InvariantCulture)}}
                      routes: [ {{routes}} ]
                    }
                    """);
                _nodes.Add(new NatsServerFixture(file, null));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<NatsServerFixture> Nodes => _nodes;

    /// <summary>every node's client URL, comma-separated, as <c>Nats:Url</c> takes a cluster.</summary>
    public string Urls => string.Join(',', _nodes.Select(n => n.Url));

    /// <summary>the node whose name the server reports (n1..n3) for a JetStream leader.</summary>
    public NatsServerFixture Node(string serverName) =>
        _nodes[int.Parse(serverName.AsSpan(1), CultureInfo.InvariantCulture) - 1];

    public string Logs => string.Join("\n", _nodes.Select((n, i) => $"--- n{i + 1} ---\n{n.Log}"));

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try
        {
            Directory.Delete(_configDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
