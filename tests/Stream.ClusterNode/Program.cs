using System.Diagnostics;
using System.Globalization;
using System.Text;
using Streamer.Stream.Cluster;
using Streamer.Stream.Nats;

// usage: ClusterNode <nats-url> <node-id> <partitions> <lease-s> <renew-s> <margin-s>
// stdout, one line each, every time prefixed by Stopwatch.GetTimestamp() (CLOCK_MONOTONIC: the same
// clock in every process of the host, so the test can order these lines against its own events):
//   <ts> ready
//   <ts> owned p:token p:token ...   (the fence's answers, printed whenever they change; sampled every 2 ms)
// stdin closed: a graceful leave.
var inv = CultureInfo.InvariantCulture;
var options = new ClusterOptions
{
    Enabled = true,
    NodeId = args[1],
    Partitions = int.Parse(args[2], inv),
    LeaseSeconds = double.Parse(args[3], inv),
    RenewSeconds = double.Parse(args[4], inv),
    FenceMarginSeconds = double.Parse(args[5], inv),
};
using var bus = new NatsBus(new NatsBusOptions { Url = args[0] });
if (!await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20))) return 2;
await using var leases = await PartitionLeases.StartAsync(options, new JetStreamClient(bus));
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
void Print(string line) => output.WriteLine(Stopwatch.GetTimestamp().ToString(inv) + " " + line);
Print("ready");

using var stop = new CancellationTokenSource();
_ = Task.Run(() =>
{
    Console.In.ReadToEnd();
    stop.Cancel();
});
string last = "";
var line = new StringBuilder();
while (!stop.IsCancellationRequested)
{
    line.Clear().Append("owned");
    for (int p = 0; p < options.Partitions; p++)
        if (leases.IsOwned(p, out ulong token)) line.Append(inv, $" {p}:{token}");
    var now = line.ToString();
    if (!string.Equals(now, last, StringComparison.Ordinal)) Print(now);
    last = now;
    try
    {
        await Task.Delay(2, stop.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }
}
return 0;
