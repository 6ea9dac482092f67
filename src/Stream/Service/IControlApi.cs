using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>
/// The control API's handlers, for callers inside the process (the dashboard). The very handlers the
/// NATS endpoints <c>streamer.control.&lt;verb&gt;</c> run: same checks, same journal writes, same
/// replies (<c>{"ok":true,…}</c> or <c>{"ok":false,"error":"…"}</c>).
/// </summary>
public interface IControlApi
{
    /// <summary>The verbs served: list, add, remove, status, pause, resume.</summary>
    IReadOnlyList<string> Verbs { get; }

    /// <summary>
    /// Runs <paramref name="verb"/> on <paramref name="request"/> (the JSON body a NATS request would
    /// carry). <paramref name="actor"/> is who asked (journaled with every action that changes what is
    /// monitored, e.g. <c>dashboard 127.0.0.1</c>); never a secret.
    /// </summary>
    ServiceReply Invoke(string verb, byte[] request, string actor);
}
