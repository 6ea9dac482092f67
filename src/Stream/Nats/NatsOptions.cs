using System.Globalization;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>
/// The <c>Nats</c> section of <c>streamer run</c> (docs/run.md, docs/nats.md "Security"): where the
/// server is, how the service proves who it is, and TLS. Secrets are never a setting: a password or
/// token comes from a file (<see cref="PasswordFile"/>, <see cref="TokenFile"/>) or from
/// <c>$STREAMER_NATS_PASSWORD</c> / <c>$STREAMER_NATS_TOKEN</c>, an NKey seed or a creds file from its
/// file. Settings hold only paths, which are safe to log; <see cref="ToBusOptions"/> reads the secrets
/// once, at start.
/// </summary>
public sealed record NatsOptions : ISettingsSection
{
    /// <summary>environment variable holding the password of <see cref="User"/> (instead of <see cref="PasswordFile"/>).</summary>
    public const string PasswordVariable = "STREAMER_NATS_PASSWORD";

    /// <summary>environment variable holding the token (instead of <see cref="TokenFile"/>).</summary>
    public const string TokenVariable = "STREAMER_NATS_TOKEN";

    /// <summary>
    /// <c>Nats:Url</c>: <c>nats://</c> or <c>tls://</c> host:port, or a comma-separated list of them (the nodes of
    /// a cluster: the client connects to one and moves to another when that one is lost).
    /// </summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>
    /// <c>Nats:DuplicateWindow</c> (10 min): the exits stream's duplicate window; a re-publish of an
    /// exit id inside it (a lost ack, a restart) is dropped by the server.
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = JetStreamStreamSpec.DefaultDuplicateWindow;

    /// <summary><c>Nats:User</c>: user name; the password from <see cref="PasswordFile"/> or <c>$STREAMER_NATS_PASSWORD</c>.</summary>
    public string? User { get; init; }

    /// <summary><c>Nats:PasswordFile</c>: a file whose content (trailing newline trimmed) is the password.</summary>
    public string? PasswordFile { get; init; }

    /// <summary><c>Nats:TokenFile</c>: a file holding the server's authorization token (or <c>$STREAMER_NATS_TOKEN</c>).</summary>
    public string? TokenFile { get; init; }

    /// <summary><c>Nats:NKeySeedFile</c>: a user NKey seed (<c>SU…</c>) file; the server knows the public key.</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary><c>Nats:CredsFile</c>: a <c>.creds</c> file (user JWT and seed, as <c>nsc</c> writes it) for an operator-mode server.</summary>
    public string? CredsFile { get; init; }

    /// <summary><c>Nats:TlsCaFile</c>: PEM CA the server's certificate must chain to (default: the system's roots).</summary>
    public string? TlsCaFile { get; init; }

    /// <summary><c>Nats:TlsCertFile</c>: PEM client certificate, for servers that verify clients; with <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary><c>Nats:TlsKeyFile</c>: PEM private key of <see cref="TlsCertFile"/> (unencrypted; keep the file 0600).</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary><c>Nats:TlsVerify</c> (true): check the server's certificate and name. false is for a lab only, and is logged as such.</summary>
    public bool TlsVerify { get; init; } = true;

    /// <summary>
    /// <c>Nats:ExitStreamReplicas</c> (1, 1..5): copies of the exit stream in a clustered JetStream (3 on
    /// a 3-node cluster, so losing a node loses no exit). Applied when the stream is created.
    /// </summary>
    public int ExitStreamReplicas { get; init; } = 1;

    /// <summary>
    /// <c>Nats:Password</c> and <c>Nats:Token</c> exist only to be refused with a clear message: a secret
    /// given as a setting ends up in shell history, <c>ps</c> and config files.
    /// </summary>
    public string? Password { get; init; }

    /// <inheritdoc cref="Password"/>
    public string? Token { get; init; }

    /// <summary>TLS is in use: a <c>tls://</c> URL or any TLS file.</summary>
    public bool UsesTls => Urls.Any(u => u.StartsWith("tls://", StringComparison.OrdinalIgnoreCase)) || TlsCaFile is not null || TlsCertFile is not null;

    /// <summary>the addresses of <see cref="Url"/>, one per cluster node given.</summary>
    public IReadOnlyList<string> Urls => Url.Split(',', StringSplitOptions.TrimEntries);

    public void Validate()
    {
        foreach (var part in Urls)
        {
            // each node of a list is checked on its own, so the error names the one that is wrong
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port <= 0)
                throw new SettingsException(Urls.Count == 1 ? $"Nats:Url: '{Url}' is not a nats://host:port address" : $"Nats:Url: '{part}' (in '{Url}') is not a nats://host:port address");
            if (!string.IsNullOrEmpty(uri.UserInfo))
                throw new SettingsException($"Nats:Url: credentials in the URL are refused (they would be logged); use Nats:User with Nats:PasswordFile or ${PasswordVariable}, or Nats:TokenFile");
        }
        if (DuplicateWindow < TimeSpan.FromSeconds(1) || DuplicateWindow > TimeSpan.FromDays(1))
            throw new SettingsException($"Nats:DuplicateWindow: {DuplicateWindow.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s is outside 1..86400 seconds (docs/nats.md)");
        ISettingsSection.InRange("Nats:ExitStreamReplicas", ExitStreamReplicas, 1, 5);
        if (Password is not null)
            throw new SettingsException($"Nats:Password: a secret is not taken as a setting or on the command line (shell history, ps); put it in a file named by Nats:PasswordFile or in ${PasswordVariable}");
        if (Token is not null)
            throw new SettingsException($"Nats:Token: a secret is not taken as a setting or on the command line (shell history, ps); put it in a file named by Nats:TokenFile or in ${TokenVariable}");
        var methods = new[] { ("Nats:User", User is not null), ("Nats:TokenFile", TokenFile is not null), ("Nats:NKeySeedFile", NKeySeedFile is not null), ("Nats:CredsFile", CredsFile is not null) }
            .Where(m => m.Item2).Select(m => m.Item1).ToArray();
        if (methods.Length > 1)
            throw new SettingsException($"{methods[1]}: only one NATS auth method at a time, and {methods[0]} is set too");
        if (PasswordFile is not null && User is null)
            throw new SettingsException("Nats:PasswordFile: needs Nats:User (whose password it is)");
        if ((TlsCertFile is null) != (TlsKeyFile is null))
            throw new SettingsException(TlsCertFile is null ? "Nats:TlsKeyFile: needs Nats:TlsCertFile (the certificate of that key)" : "Nats:TlsCertFile: needs Nats:TlsKeyFile (its private key)");
    }

    /// <summary>
    /// The connection settings, secrets read now: the password of <see cref="User"/> from
    /// <see cref="PasswordFile"/> or <c>$STREAMER_NATS_PASSWORD</c>, a token from <see cref="TokenFile"/> or
    /// <c>$STREAMER_NATS_TOKEN</c>. Relative paths are resolved against <paramref name="baseDirectory"/>.
    /// </summary>
    public NatsBusOptions ToBusOptions(Func<string, string?> environment, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var (key, path) in new[] { ("Nats:PasswordFile", PasswordFile), ("Nats:TokenFile", TokenFile), ("Nats:NKeySeedFile", NKeySeedFile), ("Nats:CredsFile", CredsFile), ("Nats:TlsCaFile", TlsCaFile), ("Nats:TlsCertFile", TlsCertFile), ("Nats:TlsKeyFile", TlsKeyFile) })
            if (path is not null && !File.Exists(Path.GetFullPath(path, baseDirectory)))
                throw new SettingsException($"{key}: file '{path}' not found");
        string? Full(string? path) => path is null ? null : Path.GetFullPath(path, baseDirectory);
        NatsAuth? auth = null;
        if (User is not null)
        {
            var password = PasswordFile is not null ? ReadSecret("Nats:PasswordFile", Full(PasswordFile)!) : environment(PasswordVariable);
            if (string.IsNullOrEmpty(password))
                throw new SettingsException($"Nats:User: '{User}' has no password: set Nats:PasswordFile or ${PasswordVariable}");
            auth = NatsAuth.UserPassword(User, password);
        }
        else if (TokenFile is not null) auth = NatsAuth.WithToken(ReadSecret("Nats:TokenFile", Full(TokenFile)!));
        else if (NKeySeedFile is not null) auth = Read("Nats:NKeySeedFile", Full(NKeySeedFile)!, NatsAuth.WithNKeySeedFile);
        else if (CredsFile is not null) auth = Read("Nats:CredsFile", Full(CredsFile)!, NatsAuth.WithCredsFile);
        else if (environment(TokenVariable) is { Length: > 0 } token) auth = NatsAuth.WithToken(token);
        return new NatsBusOptions
        {
            Url = string.Join(',', Urls),
            Auth = auth,
            Tls = UsesTls ? new NatsTls(Full(TlsCaFile), Full(TlsCertFile), Full(TlsKeyFile), TlsVerify) : null,
        };
    }

    private static NatsAuth Read(string key, string path, Func<string, NatsAuth> read)
    {
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new SettingsException($"{key}: '{path}' {(e is FormatException ? e.Message : "cannot be read: " + e.Message)}");
        }
    }

    private static string ReadSecret(string key, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"{key}: '{path}' cannot be read: {e.Message}");
        }
        return text.Length > 0 ? text : throw new SettingsException($"{key}: '{path}' is empty");
    }
}
