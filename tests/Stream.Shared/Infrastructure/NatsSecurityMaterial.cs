using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using NATS.NKeys;

namespace Streamer.Stream.Tests.Infrastructure;

/// <summary>
/// Everything a NATS server that requires TLS and authentication needs, made fresh in a temp
/// directory: a CA, a server certificate for 127.0.0.1, a client certificate the CA signed and one
/// a stranger's CA signed, random passwords, a user NKey, and for operator mode (creds files) an
/// operator, an account with JetStream and a user JWT signed as nats-server checks them.
/// </summary>
public sealed class NatsSecurityMaterial : IDisposable
{
    private readonly TempDirectory _dir = new();

    public NatsSecurityMaterial()
    {
        using var ca = Authority("Streamer Test CA", out var caCert);
        CaFile = Write("ca.pem", caCert.ExportCertificatePem());
        (ServerCertFile, ServerKeyFile) = Leaf("server", ca, caCert, serverAuth: true);
        (ClientCertFile, ClientKeyFile) = Leaf("client", ca, caCert, serverAuth: false);
        using var stranger = Authority("Somebody Else's CA", out var strangerCert);
        StrangerCaFile = Write("stranger-ca.pem", strangerCert.ExportCertificatePem());
        (StrangerCertFile, StrangerKeyFile) = Leaf("stranger", stranger, strangerCert, serverAuth: false);
        caCert.Dispose();
        strangerCert.Dispose();

        using var user = KeyPair.CreatePair(PrefixByte.User);
        NKeyPublic = user.GetPublicKey();
        NKeySeed = user.GetSeed();
        NKeySeedFile = Write("user.nk", NKeySeed + "\n");
    }

    public string Directory => _dir.Path;

    public string CaFile { get; }
    public string ServerCertFile { get; }
    public string ServerKeyFile { get; }
    public string ClientCertFile { get; }
    public string ClientKeyFile { get; }
    public string StrangerCaFile { get; }
    public string StrangerCertFile { get; }
    public string StrangerKeyFile { get; }

    public string NKeyPublic { get; }
    public string NKeySeed { get; }
    public string NKeySeedFile { get; }

    /// <summary>the secrets a log or a status reply must never show.</summary>
    public List<string> Secrets { get; } = [];

    public string NewSecret(string what)
    {
        var secret = $"{what}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(12))}";
        Secrets.Add(secret);
        return secret;
    }

    public string Write(string name, string content)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>the server's tls block: its certificate, the CA clients must chain to, client verification.</summary>
    public string TlsBlock(bool verifyClients) => $$"""
        tls {
          cert_file: "{{ServerCertFile}}"
          key_file: "{{ServerKeyFile}}"
          ca_file: "{{CaFile}}"
          verify: {{(verifyClients ? "true" : "false")}}
          timeout: 5
        }
        """;

    /// <summary>
    /// deploy/nats/streamer.conf as shipped, its commented TLS block switched on (client certificates
    /// verified) and pointed at this material, plus an NKey user with the service's permissions.
    /// </summary>
    public string DeployConfigWithTls(string deployConfigPath)
    {
        var text = File.ReadAllText(deployConfigPath);
        var start = text.IndexOf("# tls {", StringComparison.Ordinal);
        var end = text.IndexOf("# }", start, StringComparison.Ordinal) + 3;
        if (start < 0 || end < start) throw new InvalidOperationException($"{deployConfigPath}: its commented tls block is gone");
        text = string.Concat(text.AsSpan(0, start), TlsBlock(verifyClients: true), text.AsSpan(end));
        // the streamer user's permissions, given to an NKey user too (nkey and password users mix in one list)
        var streamer = text.IndexOf("      {\n        user: streamer", StringComparison.Ordinal);
        var executor = text.IndexOf("      {\n        user: executor", StringComparison.Ordinal);
        if (streamer < 0 || executor < 0) throw new InvalidOperationException($"{deployConfigPath}: the streamer or executor user is gone");
        var nkeyUser = text[streamer..executor].Replace("user: streamer\n        password: $STREAMER_NATS_PASSWORD", $"nkey: {NKeyPublic}", StringComparison.Ordinal);
        return Write("deploy-tls.conf", text.Insert(executor, nkeyUser));
    }

    /// <summary>a server that wants one token (and TLS).</summary>
    public string TokenConfig(string token) => Write("token.conf", $$"""
        jetstream { store_dir: "placeholder" }
        {{TlsBlock(verifyClients: false)}}
        authorization { token: "{{token}}" }
        """);

    /// <summary>
    /// An operator-mode server (JWT auth, memory resolver) with one account that has JetStream, and
    /// the creds file of a user of that account, as <c>nsc</c> would write both.
    /// </summary>
    public (string Config, string CredsFile) OperatorMode()
    {
        using var op = KeyPair.CreatePair(PrefixByte.Operator);
        using var account = KeyPair.CreatePair(PrefixByte.Account);
        using var user = KeyPair.CreatePair(PrefixByte.User);
        using var system = KeyPair.CreatePair(PrefixByte.Account);
        var systemJwt = Jwt(op, system.GetPublicKey(), "SYS", new Dictionary<string, object> { ["type"] = "account", ["version"] = 2 });
        var operatorJwt = Jwt(op, op.GetPublicKey(), "test-operator", new Dictionary<string, object> { ["type"] = "operator", ["version"] = 2 });
        var accountJwt = Jwt(op, account.GetPublicKey(), "STREAMER", new Dictionary<string, object>
        {
            ["type"] = "account",
            ["version"] = 2,
            ["limits"] = new Dictionary<string, object>
            {
                ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1, ["wildcards"] = true, ["conn"] = -1, ["leaf"] = -1,
                ["mem_storage"] = -1, ["disk_storage"] = -1, ["streams"] = -1, ["consumer"] = -1,
            },
        });
        var userJwt = Jwt(account, user.GetPublicKey(), "streamer", new Dictionary<string, object> { ["type"] = "user", ["version"] = 2, ["subs"] = -1, ["data"] = -1, ["payload"] = -1 });
        var config = Write("operator.conf", $$"""
            jetstream { store_dir: "placeholder" }
            {{TlsBlock(verifyClients: false)}}
            operator: "{{operatorJwt}}"
            system_account: {{system.GetPublicKey()}}
            resolver: MEMORY
            resolver_preload: {
              {{system.GetPublicKey()}}: "{{systemJwt}}"
              {{account.GetPublicKey()}}: "{{accountJwt}}"
            }
            """);
        var seed = user.GetSeed();
        Secrets.Add(seed);
        var creds = Write("streamer.creds", $"""
            -----BEGIN NATS USER JWT-----
            {userJwt}
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.
            NKEYs are sensitive and should be treated as secrets.

            -----BEGIN USER NKEY SEED-----
            {seed}
            ------END USER NKEY SEED------

            *************************************************************

            """);
        return (config, creds);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>deploy/nats/streamer.conf of this checkout.</summary>
    public static string DeployConfigPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "nats", "streamer.conf");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("deploy/nats/streamer.conf not found above " + AppContext.BaseDirectory);
    }

    // nats JWT: base64url(header).base64url(claims).base64url(ed25519 signature of the first two by the issuer)
    private static string Jwt(KeyPair issuer, string subject, string name, Dictionary<string, object> nats)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["iat"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        var signed = Base64Url("""{"typ":"JWT","alg":"ed25519-nkey"}"""u8.ToArray()) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes(signed), signature);
        return signed + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static RSA Authority(string name, out X509Certificate2 certificate)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return key;
    }

    private (string Cert, string Key) Leaf(string name, RSA issuerKey, X509Certificate2 issuer, bool serverAuth)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={(serverAuth ? "127.0.0.1" : name)}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        Secrets.Add(keyPem.Split('\n')[1]); // a line of the private key: it must not be logged either
        return (Write(name + ".pem", certificate.ExportCertificatePem()), Write(name + "-key.pem", keyPem));
    }
}
