namespace Streamer.Stream.Journal;

public enum ExitOrderStatus
{
    /// <summary>to submit (first try, or a retry after a refusal/timeout); the client_order_id is journaled before the submit.</summary>
    Pending,
    /// <summary>accepted by the broker, waiting for its fill.</summary>
    Submitted,
    Filled,
    /// <summary>every attempt failed: the position is flagged (alert), nothing more is sent.</summary>
    Failed,
}
