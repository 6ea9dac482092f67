namespace Streamer.Feed.Alpaca;

/// <summary>
/// An Alpaca key pair. Passed in, never read from configuration files; <see cref="ToString"/>
/// never shows the secret (nor the key), so a stray log line cannot leak them.
/// </summary>
public sealed class AlpacaCredentials
{
    public const string KeyIdVariable = "APCA_API_KEY_ID";
    public const string SecretKeyVariable = "APCA_API_SECRET_KEY";

    public AlpacaCredentials(string keyId, string secretKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentException.ThrowIfNullOrEmpty(secretKey);
        KeyId = keyId;
        SecretKey = secretKey;
    }

    public string KeyId { get; }

    public string SecretKey { get; }

    /// <summary>From <c>APCA_API_KEY_ID</c> / <c>APCA_API_SECRET_KEY</c>; null when either is unset or empty.</summary>
    public static AlpacaCredentials? FromEnvironment()
    {
        var key = Environment.GetEnvironmentVariable(KeyIdVariable);
        var secret = Environment.GetEnvironmentVariable(SecretKeyVariable);
        return string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret) ? null : new AlpacaCredentials(key, secret);
    }

    public override string ToString() => "AlpacaCredentials(***)";
}
