namespace Streamer.Stream.Nats;

/// <summary>
/// How the connection proves who it is: one method. Holds secrets read at start; its
/// <see cref="ToString"/> names the method only, so a record printed into a log leaks nothing.
/// </summary>
public sealed class NatsAuth
{
    private NatsAuth(string method) => Method = method;

    /// <summary><c>user/password</c>, <c>token</c>, <c>nkey</c> or <c>creds</c>.</summary>
    public string Method { get; }

    public string? User { get; private init; }

    internal string? Password { get; private init; }

    internal string? Token { get; private init; }

    /// <summary>path of a user NKey seed file.</summary>
    public string? NKeySeedFile { get; private init; }

    /// <summary>the user's public key (<c>U…</c>), derived from the seed: safe to log.</summary>
    public string? NKeyPublic { get; private init; }

    internal string? NKeySeed { get; private init; }

    /// <summary>path of a JWT <c>.creds</c> file.</summary>
    public string? CredsFile { get; private init; }

    public static NatsAuth UserPassword(string user, string password) => new("user/password") { User = user, Password = password };

    public static NatsAuth WithToken(string token) => new("token") { Token = token };

    /// <summary>the seed read from <paramref name="path"/>: one line starting <c>SU</c> (what <c>nk -gen user</c> writes, with or without the public key after it).</summary>
    public static NatsAuth WithNKeySeedFile(string path)
    {
        var seed = File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("SU", StringComparison.Ordinal))
            ?? throw new FormatException("holds no user NKey seed (a line starting SU)");
        try
        {
            using var pair = NATS.NKeys.KeyPair.FromSeed(seed.AsSpan());
            return new("nkey") { NKeySeedFile = path, NKeySeed = seed, NKeyPublic = pair.GetPublicKey() };
        }
        catch (Exception e) when (e is NATS.NKeys.NKeysException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            throw new FormatException("its seed is not a valid NKey seed"); // the seed itself is not repeated
        }
    }

    /// <summary>a <c>.creds</c> file: checked now for the user JWT and seed blocks, read by the client at each connect.</summary>
    public static NatsAuth WithCredsFile(string path)
    {
        var text = File.ReadAllText(path);
        if (!text.Contains("-----BEGIN NATS USER JWT-----", StringComparison.Ordinal) || !text.Contains("-----BEGIN USER NKEY SEED-----", StringComparison.Ordinal))
            throw new FormatException("is not a NATS creds file (no BEGIN NATS USER JWT and BEGIN USER NKEY SEED blocks)");
        return new("creds") { CredsFile = path };
    }

    public override string ToString() => User is not null ? $"{Method} ({User})" : NKeyPublic is not null ? $"{Method} ({NKeyPublic})" : Method;
}
