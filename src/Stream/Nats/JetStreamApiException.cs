namespace Streamer.Stream.Nats;

/// <summary>JetStream answered with an error object: <c>{"error":{"code","err_code","description"}}</c>.</summary>
public sealed class JetStreamApiException : Exception
{
    public JetStreamApiException(string subject, int code, int errorCode, string description)
        : base($"JetStream error on '{subject}': {description} (code {code}, err_code {errorCode})")
    {
        Subject = subject;
        Code = code;
        ErrorCode = errorCode;
        Description = description;
    }

    public JetStreamApiException() { Subject = Description = ""; }
    public JetStreamApiException(string message) : base(message) { Subject = Description = ""; }
    public JetStreamApiException(string message, Exception inner) : base(message, inner) { Subject = Description = ""; }

    /// <summary>the API or publish subject that was asked.</summary>
    public string Subject { get; }

    /// <summary>HTTP-like code (404, 400, 503...).</summary>
    public int Code { get; }

    /// <summary>JetStream's own error code (10059 stream not found, ...).</summary>
    public int ErrorCode { get; }

    public string Description { get; }

    public const int StreamNotFound = 10059;
}
